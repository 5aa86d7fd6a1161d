package io.swarmcanary.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceDefinition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * App shop env eu-prod and app shop-eu env prod both make track name shop-eu-prod: the second team may not take the
 * first's route table entry, weights and releases, by deploy nor by any step.
 */
class TrackNameTakenTest extends OneEdgeFixture {
    final Track shop = new Track("shop", "eu-prod");
    final Track shopEu = new Track("shop-eu", "prod");

    @BeforeEach
    void shopOnTheEdge() {
        ops.canary().deploy(request(shop, "1.0.0", "shop.example.com"), deployer, false, Progress.SILENT);
        ops.canary().deploy(request(shop, "1.1.0", "shop.example.com"), deployer, false, Progress.SILENT);
    }

    ReleaseRequest request(Track track, String version, String domain) {
        return request(track, version, List.of(domain));
    }

    RouteTable.TrackEntry entry() {
        return ops.edges().read(EDGE).orElseThrow().routes().tracks().get("shop-eu-prod");
    }

    @Test
    void aDeployOfAnotherAppUnderTheSameTrackNameIsRefusedAndCreatesNothing() {
        RouteTable.TrackEntry before = entry();
        List<String> calls = List.copyOf(swarm.calls);

        assertThatThrownBy(() -> ops.canary().plan(request(shopEu, "2.0.0", "eu.shop.example.com"), deployer, Progress.SILENT))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("track name shop-eu-prod is taken: release shop-eu-prod-1_0_0 is of app 'shop' env"
                        + " 'eu-prod', not of app 'shop-eu' env 'prod'")
                .hasMessageContaining("Nothing was created. Use another --app or --env.");
        assertThat(swarm.services).doesNotContainKey("shop-eu-prod-2_0_0");
        assertThat(entry()).isEqualTo(before);
        assertThat(swarm.calls).isEqualTo(calls); // reads only
        // the owner deploys on as before
        ops.canary().deploy(request(shop, "1.2.0", "shop.example.com"), deployer, true, Progress.SILENT);
        assertThat(entry().canary()).isEqualTo("shop-eu-prod-1_2_0");
    }

    @Test
    void noStepOfTheOtherAppMovesOrRemovesTheOwnersReleases() {
        RouteTable.TrackEntry before = entry();
        assertThat(before.canary()).isEqualTo("shop-eu-prod-1_1_0");

        assertThatThrownBy(() -> ops.shift().apply(new ShiftOperation.Request(shopEu, 50, null), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken")
                .hasMessageContaining("Nothing was changed.");
        assertThatThrownBy(() -> ops.shift().plan(new ShiftOperation.Request(shopEu, 50, null), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");
        assertThatThrownBy(() -> ops.canary().rollback(shopEu, Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");
        assertThatThrownBy(() -> ops.canary().promote(shopEu, Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");
        assertThatThrownBy(() -> ops.promote().plan(shopEu, Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");
        assertThatThrownBy(() -> ops.mirror().apply(new CanaryTrafficOperation.Request(shopEu, List.of(), 10), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");
        assertThatThrownBy(() -> ops.route().plan(new CanaryTrafficOperation.Request(shopEu,
                List.of(io.swarmcanary.envoy.RouteMatch.parse("header:x-beta=1")), 0), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");

        assertThat(entry()).isEqualTo(before);
        assertThat(swarm.services).containsKeys("shop-eu-prod-1_0_0", "shop-eu-prod-1_1_0");
        // the owner's own steps are untouched by the check
        ops.shift().apply(new ShiftOperation.Request(shop, 50, null), Progress.SILENT);
        assertThat(entry().weights()).containsEntry("shop-eu-prod-1_1_0", 50);
    }

    @Test
    void aTrackAlreadyHoldingBothAppsIsTheOldestReleasesAppsTheOtherIsRefused() {
        // made before deploy refused it: a release of shop-eu/prod under the same track name
        Map<String, String> labels = Labels.ofTrack(shopEu, "release");
        labels.put(Labels.VERSION, "2.0.0");
        labels.put(Labels.PORT, "8080");
        labels.put(Labels.DOMAINS, "eu.shop.example.com");
        labels.put(Labels.EDGE, EDGE);
        swarm.createService(ServiceDefinition.replicated("shop-eu-prod-2_0_0", "app:1", 1, labels, Map.of(), List.of(),
                List.of(EDGE + "-net"), List.of(), List.of(), null, List.of()));

        assertThatThrownBy(() -> ops.shift().apply(new ShiftOperation.Request(shopEu, 50, null), Progress.SILENT))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("release shop-eu-prod-1_0_0 is of app 'shop' env 'eu-prod', not of app 'shop-eu' env 'prod'");
        assertThatThrownBy(() -> ops.canary().plan(request(shopEu, "2.1.0", "eu.shop.example.com"), deployer, Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("track name shop-eu-prod is taken");
        assertThat(ops.edges().currentPlan(EDGE).warnings()).anySatisfy(w -> assertThat(w)
                .contains("track shop-eu-prod holds releases of app 'shop' env 'eu-prod' and app 'shop-eu' env 'prod'"));

        // the owner (its release is the oldest) keeps its way back and its steps
        ops.shift().apply(new ShiftOperation.Request(shop, 50, null), Progress.SILENT);
        assertThat(entry().weights()).containsEntry("shop-eu-prod-1_1_0", 50);
        ops.canary().rollback(shop, Progress.SILENT);
        assertThat(entry().weights()).containsEntry("shop-eu-prod-1_0_0", 100);
    }
}
