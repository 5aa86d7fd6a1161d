package io.swarmcanary.edge;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** Tokens an attacker can make without the edge key: Envoy must route each by weight. */
public final class ForgedTokens {
    private ForgedTokens() {}

    /** The token with its payload's audience replaced, the signature kept. */
    public static String withAudience(String token, String audience) {
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replaceAll("\"aud\":\"[^\"]*\"", "\"aud\":\"" + audience + "\"");
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
    }

    /** An unsigned token ({@code alg: none}) with the right issuer and audience. */
    public static String unsigned(String audience) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"iss\":\"swarm-canary\",\"aud\":\"" + audience + "\",\"exp\":"
                + Instant.now().plusSeconds(600).getEpochSecond() + "}").getBytes(StandardCharsets.UTF_8)) + ".";
    }
}
