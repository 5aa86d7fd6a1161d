package io.swarmcanary.compose;

import io.swarmcanary.release.Names;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The value formats of compose files: Go durations, memory sizes, CPUs, file modes, command lines. */
final class Values {
    private static final Pattern DURATION_PART = Pattern.compile("([0-9]+(?:\\.[0-9]*)?)(ns|us|µs|ms|s|m|h)");
    private static final Pattern MEMORY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?)(i?b)?", Pattern.CASE_INSENSITIVE);
    private static final Map<String, Long> UNIT_NANOS = Map.of("ns", 1L, "us", 1_000L, "µs", 1_000L, "ms", 1_000_000L,
            "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L);

    private Values() {}

    /** {@code 1m30s}, {@code 500ms}, {@code 2s}, as Go's time.ParseDuration reads them. */
    static Duration duration(ComposeFile.Value v) {
        String text = v.text().strip();
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION_PART.matcher(text);
        long nanos = 0;
        int at = 0;
        while (at < text.length() && m.find(at) && m.start() == at) {
            nanos += new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(UNIT_NANOS.get(m.group(2)))).longValue();
            at = m.end();
        }
        if (at == 0 || at != text.length()) {
            throw v.error("expected a duration such as 10s, 1m30s or 500ms, found '" + Names.printable(text) + "'");
        }
        return Duration.ofNanos(nanos);
    }

    /** {@code 50M}, {@code 1.5g}, {@code 512MiB}, {@code 1024}: binary units, as the docker CLI reads memory. */
    static long memory(ComposeFile.Value v) {
        String text = v.text().strip();
        Matcher m = MEMORY.matcher(text);
        if (!m.matches()) {
            throw v.error("expected a size such as 512M or 1G, found '" + Names.printable(text) + "'");
        }
        int power = "kmgtp".indexOf(m.group(2).toLowerCase()) + 1;
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power)).longValue();
    }

    /** {@code 0.5} CPUs as nano-CPUs. */
    static long cpus(ComposeFile.Value v) {
        String text = v.text().strip();
        try {
            BigDecimal cpus = new BigDecimal(text);
            if (cpus.signum() < 0) {
                throw new NumberFormatException();
            }
            return cpus.multiply(BigDecimal.valueOf(1_000_000_000L)).longValue();
        } catch (NumberFormatException e) {
            throw v.error("expected a number of CPUs such as 0.5, found '" + Names.printable(text) + "'");
        }
    }

    /** {@code 0440} (YAML 1.1 octal, what stack files use), {@code 0o440}, or a decimal number. */
    static long mode(ComposeFile.Value v) {
        String text = v.text().strip();
        try {
            if (text.startsWith("0o")) {
                return Long.parseLong(text.substring(2), 8);
            }
            if (text.length() > 1 && text.startsWith("0")) {
                return Long.parseLong(text.substring(1), 8);
            }
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw v.error("expected a file mode such as 0440, found '" + Names.printable(text) + "'");
        }
    }

    /** A command as a list; a string is split like a shell would (quotes, backslashes), as the docker CLI does. */
    static List<String> command(ComposeFile.Value v) {
        if (v.isList()) {
            return v.strings();
        }
        String text = v.text();
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < text.length()) {
                    word.append(text.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < text.length()) {
                word.append(text.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw v.error("unterminated quote in the command");
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** The container port of a ports: entry: {@code 8080}, {@code "80:8080"}, {@code "127.0.0.1:80:8080/tcp"}, or long syntax. */
    record Port(int target, Integer published, String protocol, String mode) {}

    static Port port(ComposeFile.Value v) {
        if (v.isMap()) {
            int target = v.get("target").map(ComposeFile.Value::integer)
                    .orElseThrow(() -> v.error("a port in long syntax needs 'target:' (the container port)"));
            return new Port(target, v.get("published").map(ComposeFile.Value::integer).orElse(null),
                    v.get("protocol").map(ComposeFile.Value::text).orElse("tcp"),
                    v.get("mode").map(ComposeFile.Value::text).orElse("ingress"));
        }
        String text = v.text().strip();
        String protocol = "tcp";
        int slash = text.indexOf('/');
        if (slash >= 0) {
            protocol = text.substring(slash + 1);
            text = text.substring(0, slash);
        }
        String[] parts = text.split(":");
        try {
            if (text.contains("-")) {
                throw v.error("port ranges are not supported: Envoy sends traffic to one container port");
            }
            int target = Integer.parseInt(parts[parts.length - 1]);
            Integer published = parts.length > 1 ? Integer.valueOf(parts[parts.length - 2]) : null;
            return new Port(target, published, protocol, "ingress");
        } catch (NumberFormatException e) {
            throw v.error("expected a port such as 8080, \"80:8080\" or \"80:8080/tcp\", found '" + Names.printable(text) + "'");
        }
    }
}
