package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The route table label as one writer reads and writes it while newer writers share the edge. */
class RouteTableTest {
    private static final String KNOWN = "{\"a-webdev\":{\"weights\":{\"a-webdev-1_0_0\":90,\"a-webdev-1_0_1\":10},"
            + "\"canary\":\"a-webdev-1_0_1\",\"stable\":\"a-webdev-1_0_0\",\"match\":[\"header:x-beta=1\"],\"mirror\":5},"
            + "\"b-webdev\":{\"weights\":{\"b-webdev-2_0_0\":100},\"stable\":\"b-webdev-2_0_0\"}}";

    @Test
    void aTableThisVersionWroteReadsAndWritesBackByteForByte() {
        assertThat(RouteTable.fromJson(KNOWN).toJson()).isEqualTo(KNOWN);
        assertThat(RouteTable.fromJson(KNOWN).with("b-webdev", null).toJson()).isEqualTo(KNOWN.substring(0, KNOWN.indexOf(",\"b-webdev\"")) + "}");
    }

    @Test
    void aWriteToOneTrackKeepsTheFieldsANewerWriterKeepsInAnother() {
        // b's pipeline runs a newer CLI that stores fields this version does not know
        String shared = KNOWN.replace("\"stable\":\"b-webdev-2_0_0\"}",
                "\"stable\":\"b-webdev-2_0_0\",\"sticky\":{\"cookie\":\"sc\",\"ttlSeconds\":3600,\"sameSite\":\"Strict\"},\"futureField\":[1,2]}");
        RouteTable table = RouteTable.fromJson(shared);
        assertThat(table.tracks().get("b-webdev").stable()).isEqualTo("b-webdev-2_0_0");
        assertThat(table.toJson()).isEqualTo(shared);

        // a's pipeline shifts its own track: b's entry is written back exactly as it was
        RouteTable.TrackEntry a = table.tracks().get("a-webdev");
        RouteTable.TrackEntry shifted = new RouteTable.TrackEntry(Map.of("a-webdev-1_0_0", 75, "a-webdev-1_0_1", 25), a.canary(),
                a.stable(), a.previous(), a.retiring(), a.match(), a.mirror());
        String written = table.with("a-webdev", shifted).toJson();
        assertThat(written).contains("\"a-webdev-1_0_1\":25")
                .contains("\"b-webdev\":{\"weights\":{\"b-webdev-2_0_0\":100},\"stable\":\"b-webdev-2_0_0\","
                        + "\"sticky\":{\"cookie\":\"sc\",\"ttlSeconds\":3600,\"sameSite\":\"Strict\"},\"futureField\":[1,2]}");
        assertThat(RouteTable.fromJson(written).with("a-webdev", null).toJson()).doesNotContain("a-webdev").contains("futureField");
    }

    @Test
    void aTrackThisWriterChangesLosesItsOwnUnknownFields() {
        String shared = KNOWN.replace("\"stable\":\"b-webdev-2_0_0\"}", "\"stable\":\"b-webdev-2_0_0\",\"sticky\":{\"cookie\":\"sc\"}}");
        RouteTable table = RouteTable.fromJson(shared);
        String written = table.with("b-webdev", new RouteTable.TrackEntry(Map.of("b-webdev-2_0_0", 100, "b-webdev-2_0_1", 0),
                "b-webdev-2_0_1", "b-webdev-2_0_0", null, java.util.List.of())).toJson();
        assertThat(written).doesNotContain("sticky");
        assertThat(table.with("b-webdev", table.tracks().get("b-webdev"))).as("the same entry again changes nothing").isEqualTo(table);
        assertThat(RouteTable.fromJson(shared)).isEqualTo(table);
    }
}
