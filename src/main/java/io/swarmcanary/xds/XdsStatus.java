package io.swarmcanary.xds;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * What the control plane of an edge serves and what every connected Envoy has applied. Served as JSON
 * on the control plane's status port; the CLI waits on it after a change instead of sleeping.
 *
 * @param routesVersion   the RDS version served now (the edge's revision), null before the first read
 * @param clustersVersion the CDS version served now
 * @param readError       why the last read of the edge failed (the last good config is still served), or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record XdsStatus(String edge, String routesVersion, String clustersVersion, String readError, List<Envoy> envoys) {
    public XdsStatus {
        envoys = envoys == null ? List.of() : List.copyOf(envoys);
    }

    /**
     * One Envoy's ADS stream. Versions are what Envoy says it has applied (a request's version_info is the
     * last version Envoy accepted); {@code nack} is Envoy's error for the last version it rejected.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Envoy(long stream, String address, String node, String connectedAt, String routesVersion,
                        String clustersVersion, String nack) {
        public boolean upToDate(XdsStatus served) {
            return nack == null && served.routesVersion() != null && served.routesVersion().equals(routesVersion)
                    && served.clustersVersion().equals(clustersVersion);
        }
    }

    /** Envoys that have ACKed everything served now. */
    public long upToDate() {
        return envoys.stream().filter(e -> e.upToDate(this)).count();
    }

    /** "2/2 Envoys connected, 1 up to date (routes 3f2a..., clusters 9c1b...)". */
    public String describe(long expected) {
        return envoys.size() + "/" + expected + " Envoys connected, " + upToDate() + " up to date (routes "
                + routesVersion + ", clusters " + clustersVersion + ")"
                + (readError == null ? "" : "; last read failed: " + readError);
    }
}
