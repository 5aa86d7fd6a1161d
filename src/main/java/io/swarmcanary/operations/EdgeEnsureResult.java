package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.envoy.XdsConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What edge ensure did. Its JSON is what the pipeline steps read.
 *
 * @param xds         delivery xds (its control plane's status read through the stats host)
 * @param forceCanary whether a request with a canary token reaches its track's canary (off unless turned on)
 * @param https       the edge's HTTPS, absent while it has no certificate
 */
public record EdgeEnsureResult(String edge, String outcome, String revision, String config,
                               Map<String, Map<String, Integer>> weights, List<String> warnings, long seconds,
                               @JsonIgnore int port, @JsonIgnore boolean xds, boolean forceCanary,
                               @JsonInclude(JsonInclude.Include.NON_NULL) Https https) {
    /**
     * HTTPS as the edge serves it: domain -> the secrets holding its certificate and key (names only).
     *
     * @param redirect   whether plain HTTP answers with a redirect to https
     * @param hstsMaxAge Strict-Transport-Security max-age, null when none is sent
     * @param defaultDomain whose certificate answers clients without SNI; null: they get no handshake
     */
    public record Https(int port, Map<String, EdgeSettings.Certificate> certificates, boolean redirect, Long hstsMaxAge,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String defaultDomain) {
        public static Https of(EdgeSettings.Https https) {
            return https == null ? null : new Https(https.port(), https.certificates(), https.redirect(), https.hstsMaxAge(),
                    https.defaultDomain());
        }

        List<String> text() {
            List<String> lines = new ArrayList<>();
            lines.add("  https on port " + port + ": plain http " + (redirect ? "redirects to https" : "served too")
                    + ", HSTS " + (hstsMaxAge == null ? "off" : "max-age=" + hstsMaxAge)
                    + (defaultDomain == null ? "" : ", clients without SNI get " + defaultDomain + "'s certificate"));
            certificates.forEach((domain, c) -> lines.add("    " + domain + ": secrets " + c.certSecret() + ", " + c.keySecret()));
            return lines;
        }
    }

    public List<String> text() {
        List<String> lines = new ArrayList<>();
        lines.add("edge " + edge + " " + outcome + ": serving revision " + revision + " on port " + port + " (config " + config + ")");
        if (xds) {
            lines.add("  delivery xds: control plane " + XdsConfig.controlPlaneService(edge) + " (status through the stats host)"
                    + "; every Envoy has ACKed revision " + revision);
        }
        lines.add("  forcing the canary with a token: " + (forceCanary ? "on (swarm-canary canary-token)" : "off"));
        if (https != null) {
            lines.addAll(https.text());
        }
        warnings.forEach(w -> lines.add("  warning: " + w));
        return lines;
    }
}
