package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.operations.CanaryTrafficOperation;
import io.swarmcanary.operations.Operations;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "mirror",
        description = {
            "Shadow traffic: Envoy copies P percent of the track's weighted requests (all of them the stable's while the",
            "canary is at weight 0) to the canary and discards the canary's answers; clients get only the answer of the",
            "release the weights chose. Mirrored requests reach the canary through its own cluster (<canary>--mirror,",
            "with '-shadow' appended to the Host), so analyze never counts them as the canary's real traffic. Needs a",
            "deployed canary; a promote or a rollback turns mirroring off. Returns once the live Envoy serves it."},
        footer = {"", "Examples:",
            "  swarm-canary mirror --app files --env webdev --percent 10",
            "  swarm-canary mirror --app files --env webdev --percent 100 --dry-run",
            "  swarm-canary mirror --app files --env webdev --off",
            "", "Exit codes: 0 mirrored (or already so), 1 the edge did not converge (rolled back), 2 bad input",
            "(no canary, percent outside 1-100; nothing changed), 3 someone else changed the track meanwhile (re-run)."})
public final class MirrorCommand extends CanaryTrafficCommand {
    @Option(names = "--percent", paramLabel = "P", description = "Share of the weighted requests copied to the canary, 1-100.")
    Integer percent;
    @Option(names = "--off", description = "Stop mirroring.") boolean off;

    @Override
    CanaryTrafficOperation operation(Operations ops) {
        return ops.mirror();
    }

    @Override
    CanaryTrafficOperation.Request request() {
        if (off == (percent != null)) {
            throw new UserInputException("give --percent P (1-100) or --off. Nothing was changed.");
        }
        if (percent != null && (percent < 1 || percent > 100)) {
            throw new UserInputException("--percent must be between 1 and 100, got " + percent + " (--off stops mirroring)."
                    + " Nothing was changed.");
        }
        return new CanaryTrafficOperation.Request(trackOptions.track(), List.of(),
                off ? 0 : percent);
    }
}
