package io.swarmcanary.release;

import java.util.Locale;
import java.util.Set;

/**
 * The one way domains are compared. Envoy matches hosts case-insensitively and a client may send a trailing dot or a
 * port, so "FILES.example.com.", "files.example.com" and "files.example.com:8080" all name one host, which belongs to
 * one track.
 */
public final class DomainNames {
    /** The smoke host ("Proxy OK") of every edge. */
    public static final String SMOKE_HOST = "proxy_test";
    /** The stats-only host of every edge (EnvoyConfigRenderer.STATS_HOST). */
    public static final String STATS_HOST = "swarm-canary-stats";
    /** Hosts every edge answers itself: a track that claimed one would break the config of every track. */
    public static final Set<String> RESERVED = Set.of(SMOKE_HOST, STATS_HOST);

    private DomainNames() {}

    /** Lower case, without a trailing dot on the host: the form stored in labels and rendered. */
    public static String normalize(String domain) {
        String lower = domain.toLowerCase(Locale.ROOT);
        int colon = lower.lastIndexOf(':');
        String host = colon < 0 ? lower : lower.substring(0, colon);
        String port = colon < 0 ? "" : lower.substring(colon);
        return (host.endsWith(".") ? host.substring(0, host.length() - 1) : host) + port;
    }

    /** The host a domain names, without case, trailing dot or port: what "one domain, one track" compares. */
    public static String host(String domain) {
        String normal = normalize(domain);
        int colon = normal.lastIndexOf(':');
        return colon < 0 ? normal : normal.substring(0, colon);
    }

    /**
     * Whether a certificate's DNS name covers a (normalised) host as browsers match (RFC 6125 as applied by them): equal,
     * or a {@code *.} name covering exactly one more leftmost label; a wildcard host only by the same wildcard.
     * Partial-label wildcards ({@code f*.example.com}) and wildcards over a single label ({@code *.com}) cover nothing.
     */
    public static boolean covers(String certName, String host) {
        String name = normalize(certName);
        if (name.equals(host)) {
            return !name.contains("*") || (name.startsWith("*.") && name.indexOf('*', 1) < 0 && name.substring(2).contains("."));
        }
        if (!name.startsWith("*.") || name.indexOf('*', 1) >= 0 || !name.substring(2).contains(".") || host.startsWith("*.")) {
            return false;
        }
        int dot = host.indexOf('.');
        return dot > 0 && host.substring(dot + 1).equals(name.substring(2));
    }

    public static boolean isReserved(String domain) {
        return RESERVED.contains(host(domain));
    }
}
