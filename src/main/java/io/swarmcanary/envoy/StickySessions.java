package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Domains.quote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmcanary.release.Names;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Sticky canary sessions ({@code shift --sticky}): the weighted route gives each client the cookie of the release it
 * chose, and a route before it sends a client holding a release's cookie back to that release. Only releases with weight
 * get a cookie and a route, and only while two or more have weight: at weight 0 a canary's cookie holders go to the
 * stable on their next request.
 *
 * @param cookie     the cookie's name
 * @param ttlSeconds its Max-Age
 * @param values     the cookie value of each release service that has one: a keyed hash that names no version and that
 *                   nobody can make without having been sent to that release
 */
public record StickySessions(String cookie, long ttlSeconds, Map<String, String> values) {
    public static final String DEFAULT_COOKIE = "swarm-canary-sticky";
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    public static final Duration MIN_TTL = Duration.ofMinutes(1);
    public static final Duration MAX_TTL = Duration.ofDays(7);
    /** 80 bits: no guessing through the edge; the cookie's regex stays within Envoy's default RE2 program size. */
    static final int VALUE_HEX = 20;
    static final int MAX_NAME = RouteMatch.MAX_COOKIE - VALUE_HEX;
    /** The attributes of every sticky Set-Cookie; the HTTPS listener's copy adds Secure to values ending with them. */
    static final String ATTRIBUTES = "; HttpOnly; SameSite=Lax";
    /**
     * A subset of the RFC 6265 token: Envoy reads '%' in a header value as a formatter, and the rest of the token's
     * punctuation only makes a name harder to handle elsewhere.
     */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    public StickySessions {
        check(cookie, ttlSeconds);
        values = Map.copyOf(new TreeMap<>(values));
    }

    /** A bad cookie name or ttl is an {@link InvalidRoutesException} (exit 2) naming what is wrong. */
    public static void check(String cookie, long ttlSeconds) {
        if (cookie == null || !NAME.matcher(cookie).matches() || cookie.length() > MAX_NAME) {
            throw new InvalidRoutesException("invalid --cookie " + quote(String.valueOf(cookie)) + ": use 1-" + MAX_NAME
                    + " letters, digits, '.', '_' or '-' (an RFC 6265 cookie name)");
        }
        if (ttlSeconds < MIN_TTL.toSeconds() || ttlSeconds > MAX_TTL.toSeconds()) {
            throw new InvalidRoutesException("--ttl " + ttlSeconds + "s is outside " + MIN_TTL.toMinutes() + "m-"
                    + MAX_TTL.toDays() + "d (the cookie's Max-Age: how long a client keeps its version)");
        }
    }

    /**
     * A release's cookie value: HMAC of the track, the service and its Swarm id with the cluster's naming key, under its
     * own label so it never equals a secret name's hash. The id makes a canary deployed again under the same name a new
     * release, whose cookie the old one's holders do not have. Deterministic: every render gives the same value.
     */
    public static String value(byte[] key, String track, String service, String serviceId) {
        String input = "swarm-canary sticky cookie v1\0" + track + "\0" + service + "\0" + serviceId;
        return Names.keyedHash(key, input.getBytes(StandardCharsets.UTF_8), VALUE_HEX);
    }

    /** The Set-Cookie header for the client the weighted route sent to {@code service}. */
    String setCookie(String service) {
        return cookie + "=" + values.get(service) + "; Path=/; Max-Age=" + ttlSeconds + ATTRIBUTES;
    }

    /** Envoy's matcher for a request carrying {@code service}'s cookie (the same exact match as route --match cookie:). */
    ObjectNode matcher(String service) {
        return new RouteMatch(RouteMatch.Kind.COOKIE, cookie, RouteMatch.Op.EXACT, values.get(service)).headerMatcher();
    }

    /** Adds the response header to one weighted cluster: appended, so the application's own Set-Cookie stays. */
    void addTo(ObjectNode weightedCluster) {
        String service = weightedCluster.path("name").asText();
        if (values.containsKey(service)) {
            weightedCluster.putArray("response_headers_to_add").addObject()
                    .put("append_action", "APPEND_IF_EXISTS_OR_ADD")
                    .putObject("header").put("key", "set-cookie").put("value", setCookie(service));
        }
    }

    /**
     * Over HTTPS the cookie is also {@code Secure}: in the TLS listener's copy of the route table, every sticky
     * Set-Cookie of a weighted cluster gets it (the plain listener's copy cannot, a browser would drop it over http).
     */
    static void secure(ObjectNode routeConfig) {
        for (JsonNode host : routeConfig.path("virtual_hosts")) {
            for (JsonNode route : host.path("routes")) {
                for (JsonNode cluster : route.path("route").path("weighted_clusters").path("clusters")) {
                    for (JsonNode add : cluster.path("response_headers_to_add")) {
                        JsonNode header = add.path("header");
                        if (header instanceof ObjectNode h && "set-cookie".equals(h.path("key").asText())
                                && h.path("value").asText().endsWith(ATTRIBUTES)) {
                            h.put("value", h.path("value").asText() + "; Secure");
                        }
                    }
                }
            }
        }
    }
}
