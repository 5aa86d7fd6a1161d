package io.swarmcanary.compose;

import java.util.Map;

/**
 * Variable substitution as the docker CLI does it in stack files: {@code $VAR}, {@code ${VAR}},
 * {@code ${VAR:-default}} (unset or empty), {@code ${VAR-default}} (unset), {@code ${VAR:?message}},
 * {@code ${VAR?message}}, {@code ${VAR:+alternative}}, {@code ${VAR+alternative}}, and {@code $$} for a
 * literal {@code $}. One difference on purpose: a variable that is not set and has no default is an
 * error, not an empty string, because a release built from a half-filled file is worse than no release.
 */
final class Interpolation {
    private final Map<String, String> variables;

    Interpolation(Map<String, String> variables) {
        this.variables = variables;
    }

    /** Thrown with a message that names the variable, never its value. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    String apply(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= text.length()) {
                out.append('$'); // a lone trailing $ stays, as in the docker CLI
                i++;
            } else if (text.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
            } else if (text.charAt(i + 1) == '{') {
                int end = closingBrace(text, i + 2);
                if (end < 0) {
                    throw new Failure("invalid interpolation format in '" + text + "': '${' without a closing '}'");
                }
                out.append(braced(text.substring(i + 2, end), text));
                i = end + 1;
            } else if (isNameStart(text.charAt(i + 1))) {
                int end = i + 1;
                while (end < text.length() && isNamePart(text.charAt(end))) {
                    end++;
                }
                out.append(value(text.substring(i + 1, end), null));
                i = end;
            } else {
                throw new Failure("invalid interpolation format in '" + text + "': '$' must be followed by a name,"
                        + " '{' or another '$' (write $$ for a literal $)");
            }
        }
        return out.toString();
    }

    private String braced(String expression, String whole) {
        int n = 0;
        while (n < expression.length() && isNamePart(expression.charAt(n))) {
            n++;
        }
        String name = expression.substring(0, n);
        if (name.isEmpty() || !isNameStart(name.charAt(0))) {
            throw new Failure("invalid interpolation format in '" + whole + "': '${" + expression + "}' has no variable name");
        }
        String rest = expression.substring(n);
        if (rest.isEmpty()) {
            return value(name, null);
        }
        String set = variables.get(name);
        boolean colon = rest.startsWith(":");
        String op = colon ? rest.substring(1, Math.min(2, rest.length())) : rest.substring(0, 1);
        String argument = rest.substring(colon ? 2 : 1);
        boolean missing = set == null || (colon && set.isEmpty());
        return switch (op) {
            case "-" -> missing ? apply(argument) : set;
            case "+" -> missing ? "" : apply(argument);
            case "?" -> {
                if (missing) {
                    throw new Failure("variable " + name + " is required: "
                            + (argument.isEmpty() ? (colon ? "it is not set or empty" : "it is not set") : apply(argument)));
                }
                yield set;
            }
            default -> throw new Failure("invalid interpolation format in '" + whole + "': '${" + expression
                    + "}' (expected ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message} or ${VAR?message})");
        };
    }

    private String value(String name, String fallback) {
        String set = variables.get(name);
        if (set == null) {
            if (fallback != null) {
                return fallback;
            }
            throw new Failure("variable " + name + " is not set and has no default; export it, add it to the .env file"
                    + " next to the compose file, or write ${" + name + ":-default}");
        }
        return set;
    }

    private static int closingBrace(String text, int from) {
        int depth = 1;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isNameStart(char c) {
        return c == '_' || Character.isLetter(c) && c < 128;
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }
}
