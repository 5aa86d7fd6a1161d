package io.swarmcanary.operations;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An edge ensure not applied.
 *
 * @param outcome          create, update, or unchanged
 * @param networksToCreate networks that do not exist yet and would be created
 * @param template         the Swarm config holding the user's bootstrap, null for the built-in one
 * @param controlPlane     what would happen to an xds edge's control plane: create, update, remove or none
 * @param config           the content-addressed Swarm config that would hold the edge's config
 * @param controlPlaneImage an xds edge's control-plane image as its service would get it (digest-pinned when a
 *                          registry knows it), null for redeploy
 * @param https            the edge's HTTPS as it would be, absent without a certificate
 * @param secretsToCreate  the certificate and key secrets that would be created (names only)
 */
public record EdgeEnsurePlan(String edge, boolean dryRun, String outcome, String delivery, String image, int port,
                             List<String> networks, List<String> networksToCreate, String template, boolean createsTemplate,
                             String controlPlane, String revision, String currentRevision, String config,
                             Map<String, Map<String, Integer>> weights, List<String> warnings,
                             String controlPlaneImage,
                             @JsonInclude(JsonInclude.Include.NON_NULL) EdgeEnsureResult.Https https,
                             @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> secretsToCreate) {
    public List<String> text() {
        List<String> lines = new ArrayList<>();
        lines.add("dry run: edge " + edge + " " + switch (outcome) {
            case "create" -> "would be created";
            case "update" -> "would be updated";
            default -> "is unchanged";
        } + ": revision " + (currentRevision == null ? "-" : currentRevision) + " -> " + revision + " on port " + port
                + " (delivery " + delivery + ", image " + image + ", config " + config + ")");
        networksToCreate.forEach(n -> lines.add("  would create overlay network " + n));
        if (createsTemplate) {
            lines.add("  would store the template as config " + template);
        }
        if (!"none".equals(controlPlane)) {
            lines.add("  control plane: would " + controlPlane + " it" + (controlPlaneImage == null ? "" : " (image "
                    + controlPlaneImage + ")"));
        }
        secretsToCreate.forEach(n -> lines.add("  would create secret " + n));
        if (https != null) {
            lines.addAll(https.text());
        }
        weights.forEach((track, w) -> lines.add("  track " + track + ": " + w));
        warnings.forEach(w -> lines.add("  warning: " + w));
        lines.add("  nothing was changed");
        return lines;
    }
}
