package io.swarmcanary.envoy;

import java.util.Locale;
import java.util.regex.Pattern;

/** Domain syntax: a strict form for what we generate, and Envoy's general form for what we validate. */
final class Domains {
    private static final String LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
    /** Host name (underscores allowed: Swarm-style names like proxy_test), optional *. and :port or :*. */
    private static final Pattern STRICT =
            Pattern.compile("(\\*\\.)?(" + LABEL + "(?:\\." + LABEL + ")*)(?::(\\d{1,5}|\\*))?");
    /** Envoy: exact, "*", or one wildcard at the start or the end; no spaces or control characters. */
    private static final Pattern ENVOY = Pattern.compile("\\*|\\*?[A-Za-z0-9._:\\[\\]-]+|[A-Za-z0-9._:\\[\\]-]+\\*");

    private Domains() {}

    /** Lower-cases (Envoy matches hosts case-insensitively) or returns null when the domain is not strict. */
    static String normalizeStrict(String domain) {
        if (domain == null || domain.length() > 260) {
            return null;
        }
        String lower = domain.toLowerCase(Locale.ROOT);
        var m = STRICT.matcher(lower);
        if (!m.matches() || m.group(2).length() > 253) {
            return null;
        }
        String port = m.group(3);
        if (port != null && !port.equals("*")) {
            int p = Integer.parseInt(port);
            if (p < 1 || p > 65535) {
                return null;
            }
        }
        return lower;
    }

    static boolean isEnvoySyntax(String domain) {
        return domain != null && ENVOY.matcher(domain).matches();
    }

    /** Quotes a user value for an error message, showing control characters as escapes. */
    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("'");
        value.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append('\'').toString();
    }
}
