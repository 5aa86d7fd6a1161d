package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Domains.quote;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * One condition of a track's A/B route ({@code route --match}): a request header equal to, starting with or matching
 * (RE2, as Envoy's safe_regex) a value, or a cookie with a given value. Written as {@code header:NAME=VALUE},
 * {@code header:NAME^=PREFIX}, {@code header:NAME~REGEX} or {@code cookie:NAME=VALUE}; {@link #spec()} gives it back
 * in that form, which is how the route table stores it.
 */
public record RouteMatch(Kind kind, String name, Op op, String value) {
    public enum Kind { HEADER, COOKIE }

    public enum Op { EXACT, PREFIX, REGEX }

    static final int MAX_VALUE = 256;
    static final int MAX_REGEX = 100;
    /** The largest repetition count a regex may have, and it may have one: see the edge's re2.max_program_size. */
    static final int MAX_COUNT = 10;
    /** {n}, {n,} or {n,m}, not escaped (an escaped brace is a literal one). */
    private static final java.util.regex.Pattern COUNTED = java.util.regex.Pattern.compile("(?<!\\\\)\\{(\\d+)(?:,(\\d*))?}");
    /**
     * A cookie match is a regex: kept under Envoy's default RE2 program size (100 instructions), which an edge made
     * from a user's template keeps (the built-in bootstrap raises it to 1000).
     */
    static final int MAX_COOKIE = 48;
    /** RFC 7230 token: the characters a header (and RFC 6265 a cookie) name may have. */
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** RFC 6265 cookie-octet: no space, '"', ',', ';' or '\', so a value never runs into the next cookie. */
    private static final java.util.regex.Pattern COOKIE_VALUE = java.util.regex.Pattern.compile("[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]+");
    /** Pseudo-headers Envoy lets a route match on. */
    private static final Set<String> PSEUDO = Set.of(":authority", ":method", ":path", ":scheme");
    /** The forcing headers keep their own rules: a match on them would make an unauthenticated way to the canary. */
    private static final Set<String> RESERVED = Set.of(EnvoyConfigRenderer.TOKEN_HEADER, EnvoyConfigRenderer.CANARY_HEADER);

    public RouteMatch {
        check(kind, name, op, value);
    }

    /** Parses one {@code --match}; a bad one is a {@link InvalidRoutesException} (exit 2) naming what is wrong. */
    public static RouteMatch parse(String spec) {
        String usage = ": use header:NAME=VALUE, header:NAME^=PREFIX, header:NAME~REGEX or cookie:NAME=VALUE";
        if (spec == null || spec.isBlank()) {
            throw new InvalidRoutesException("empty --match" + usage);
        }
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? "" : spec.substring(0, colon).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? "" : spec.substring(colon + 1);
        if (!kind.equals("header") && !kind.equals("cookie")) {
            throw new InvalidRoutesException("invalid --match " + quote(spec) + usage);
        }
        // a pseudo-header's own ':' is part of its name
        int from = rest.startsWith(":") ? 1 : 0;
        int eq = rest.indexOf('=', from);
        int tilde = rest.indexOf('~', from);
        if (eq < 0 && tilde < 0) {
            throw new InvalidRoutesException("invalid --match " + quote(spec) + ": no '=', '^=' or '~' after the name" + usage);
        }
        if (kind.equals("cookie")) {
            if (eq < 0 || (tilde >= 0 && tilde < eq)) {
                throw new InvalidRoutesException("invalid --match " + quote(spec) + ": a cookie is matched by its exact value"
                        + " (cookie:NAME=VALUE)");
            }
            return new RouteMatch(Kind.COOKIE, rest.substring(0, eq), Op.EXACT, rest.substring(eq + 1));
        }
        if (tilde >= 0 && (eq < 0 || tilde < eq)) {
            return new RouteMatch(Kind.HEADER, rest.substring(0, tilde).toLowerCase(Locale.ROOT), Op.REGEX, rest.substring(tilde + 1));
        }
        boolean prefix = eq > from && rest.charAt(eq - 1) == '^';
        return new RouteMatch(Kind.HEADER, rest.substring(0, prefix ? eq - 1 : eq).toLowerCase(Locale.ROOT),
                prefix ? Op.PREFIX : Op.EXACT, rest.substring(eq + 1));
    }

    /** The {@code --match} form, as stored in the route table. */
    public String spec() {
        return (kind == Kind.COOKIE ? "cookie:" : "header:") + name
                + switch (op) { case EXACT -> "="; case PREFIX -> "^="; case REGEX -> "~"; } + value;
    }

    /** Envoy's HeaderMatcher for it: a cookie is a regex on the cookie header that only this cookie's name and value meet. */
    ObjectNode headerMatcher() {
        ObjectNode matcher = JsonNodeFactory.instance.objectNode();
        if (kind == Kind.COOKIE) {
            // start of the header or after "; ", so "xbeta=1" or "beta=10" never pass for "beta=1"
            matcher.put("name", "cookie").putObject("string_match").putObject("safe_regex")
                    .put("regex", cookieRegex(name, value));
            return matcher;
        }
        ObjectNode string = matcher.put("name", name).putObject("string_match");
        switch (op) {
            case EXACT -> string.put("exact", value);
            case PREFIX -> string.put("prefix", value);
            case REGEX -> string.putObject("safe_regex").put("regex", value);
        }
        return matcher;
    }

    static String cookieRegex(String name, String value) {
        return "(.*;[ \\t]*)?" + Pattern.quote(name + "=" + value) + "(;.*)?";
    }

    private static void check(Kind kind, String name, Op op, String value) {
        String what = kind == Kind.COOKIE ? "cookie" : "header";
        if (name == null || name.isEmpty()) {
            throw new InvalidRoutesException("--match " + what + " has no name");
        }
        if (value == null || value.isEmpty()) {
            throw new InvalidRoutesException("--match " + what + " " + quote(name) + " has no value: give the value to match");
        }
        if (kind == Kind.HEADER && name.startsWith(":")) {
            if (!PSEUDO.contains(name)) {
                throw new InvalidRoutesException("--match header " + quote(name) + " is not a pseudo-header Envoy routes on:"
                        + " use one of " + new java.util.TreeSet<>(PSEUDO) + " or an ordinary header name");
            }
        } else if (!TOKEN.matcher(name).matches()) {
            throw new InvalidRoutesException("invalid --match " + what + " name " + quote(name)
                    + ": a name is letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token)");
        }
        if (kind == Kind.HEADER && RESERVED.contains(name)) {
            throw new InvalidRoutesException("--match cannot use header " + name + ": it is the canary-forcing header, which"
                    + " only a signed token opens (swarm-canary canary-token)");
        }
        if (kind == Kind.COOKIE) {
            if (!COOKIE_VALUE.matcher(value).matches()) {
                throw new InvalidRoutesException("invalid --match cookie value for " + quote(name) + ": a cookie value has no"
                        + " spaces, '\"', ',', ';' or '\\' (RFC 6265)");
            }
            if (name.length() + value.length() > MAX_COOKIE) {
                throw new InvalidRoutesException("--match cookie " + quote(name) + ": name and value together are over "
                        + MAX_COOKIE + " characters (Envoy limits the size of the regex that matches them)");
            }
            return;
        }
        if (value.chars().anyMatch(c -> c < 0x20 || c > 0x7E)) {
            throw new InvalidRoutesException("--match header " + quote(name) + ": the value has a control or non-ASCII character");
        }
        if (op != Op.REGEX && !value.equals(value.strip())) {
            throw new InvalidRoutesException("--match header " + quote(name) + ": the value starts or ends with a space, which"
                    + " Envoy strips from header values, so it would never match");
        }
        int max = op == Op.REGEX ? MAX_REGEX : MAX_VALUE;
        if (value.length() > max) {
            throw new InvalidRoutesException("--match header " + quote(name) + ": the value is over " + max + " characters");
        }
        if (op == Op.REGEX) {
            try {
                Pattern.compile(value); // RE2 syntax, as Envoy's safe_regex: no backreferences, no lookaround
            } catch (PatternSyntaxException e) {
                throw new InvalidRoutesException("--match header " + quote(name) + ": " + quote(value)
                        + " is not an RE2 regular expression (Envoy's syntax): " + e.getDescription());
            }
            // a repetition count multiplies the compiled program: Envoy refuses one over its size limit (the edge's
            // runtime sets 1000 instructions) on every node at once, so counts stay small and alone
            java.util.regex.Matcher counted = COUNTED.matcher(value);
            int counts = 0;
            while (counted.find()) {
                counts++;
                int n = Integer.parseInt(counted.group(2) != null && !counted.group(2).isEmpty() ? counted.group(2) : counted.group(1));
                if (n > MAX_COUNT || counts > 1) {
                    throw new InvalidRoutesException("--match header " + quote(name) + ": " + quote(value) + " repeats by count"
                            + (counts > 1 ? " more than once" : " over " + MAX_COUNT) + "; Envoy would refuse the compiled"
                            + " regex on every node. Use + or * (e.g. [0-9a-f]+), or one count of at most " + MAX_COUNT);
                }
            }
        }
    }
}
