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
 * @param version         the control plane's swarm-canary version; null from one older than the field
 * @param secretsVersion  the SDS version of the certificates served (names only, never a key), null without any
 * @param followingEvents whether it follows the engine's events now (a change is read at once); while not, it reads
 *                        the whole edge every poll. Null from a control plane older than the field
 * @param refusedRevision the edge's revision whose config the last read refused as invalid (readError says why), or
 *                        null: the CLI that wrote it fails at once
 * @param labelledRevision the edge's revision label the served routes were made from: a release created or removed
 *                        since that label was written makes routesVersion differ from it (the config holds every release
 *                        as it is now). Null from a control plane older than the field
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record XdsStatus(String edge, String routesVersion, String clustersVersion, String readError, List<Envoy> envoys,
                        String version, String secretsVersion, Boolean followingEvents, String refusedRevision,
                        String labelledRevision) {
    public XdsStatus {
        envoys = envoys == null ? List.of() : List.copyOf(envoys);
    }

    public XdsStatus(String edge, String routesVersion, String clustersVersion, String readError, List<Envoy> envoys) {
        this(edge, routesVersion, clustersVersion, readError, envoys, null, null, null);
    }

    public XdsStatus(String edge, String routesVersion, String clustersVersion, String readError, List<Envoy> envoys,
                     String version, String secretsVersion, Boolean followingEvents) {
        this(edge, routesVersion, clustersVersion, readError, envoys, version, secretsVersion, followingEvents, null);
    }

    public XdsStatus(String edge, String routesVersion, String clustersVersion, String readError, List<Envoy> envoys,
                     String version, String secretsVersion, Boolean followingEvents, String refusedRevision) {
        this(edge, routesVersion, clustersVersion, readError, envoys, version, secretsVersion, followingEvents,
                refusedRevision, null);
    }

    /**
     * Whether what is served now was made from the edge's labels of this revision: its own routes, or routes the control
     * plane rendered from those labels with the releases as they were at its read (whether this CLI renders them alike
     * is the CLI's to check: a control plane of another build may not know every field of the labels).
     */
    public boolean madeFrom(String revision) {
        return revision != null && !revision.isEmpty() && (revision.equals(routesVersion) || revision.equals(labelledRevision));
    }

    /**
     * Whether this revision is what is served: its own routes, or routes made from its labels that {@code alike} takes
     * for what the caller renders from them (a CLI renders them again; status, which renders nothing, trusts its version).
     */
    public boolean serves(String revision, java.util.function.Predicate<String> alike) {
        return madeFrom(revision) && (revision.equals(routesVersion) || alike.test(routesVersion));
    }

    /**
     * Said when a change does not converge and the control plane runs another version than this CLI: it renders the
     * route table with its own code, so its revision need not be the one this CLI computed. Empty when they match.
     */
    public java.util.Optional<String> versionMismatch(String edge) {
        String cli = io.swarmcanary.ProductVersion.current();
        if (cli.equals(version)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("the control plane runs swarm-canary " + (version == null ? "of an older version (it does not say which)" : version)
                + " and this CLI is " + cli + ": it renders the edge with its own code and may not know this change; update it"
                + " to this version with 'swarm-canary edge ensure --edge " + edge + " --delivery xds --control-plane-image IMAGE:" + cli + "'");
    }

    /**
     * One Envoy's ADS stream. Versions are what Envoy says it has applied (a request's version_info is the
     * last version Envoy accepted); {@code nack} is Envoy's error for the last version it rejected.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Envoy(long stream, String address, String node, String connectedAt, String routesVersion,
                        String clustersVersion, String nack, String secretsVersion) {
        public Envoy(long stream, String address, String node, String connectedAt, String routesVersion,
                     String clustersVersion, String nack) {
            this(stream, address, node, connectedAt, routesVersion, clustersVersion, nack, null);
        }

        public boolean upToDate(XdsStatus served) {
            return nack == null && served.routesVersion() != null && served.routesVersion().equals(routesVersion)
                    && served.clustersVersion().equals(clustersVersion)
                    && (served.secretsVersion() == null || served.secretsVersion().equals(secretsVersion));
        }
    }

    /** Envoys that have ACKed everything served now. */
    public long upToDate() {
        return envoys.stream().filter(e -> e.upToDate(this)).count();
    }

    /** "2/2 Envoys connected, 1 up to date (routes 3f2a..., clusters 9c1b...)". */
    public String describe(long expected) {
        return envoys.size() + "/" + expected + " Envoys connected, " + upToDate() + " up to date (routes "
                + routesVersion + (labelledRevision == null || labelledRevision.equals(routesVersion) ? ""
                : " from the labels of revision " + labelledRevision)
                + ", clusters " + clustersVersion + (secretsVersion == null ? "" : ", certificates " + secretsVersion) + ")"
                + (readError == null ? "" : "; last read failed: " + readError);
    }
}
