package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/** Durations as people write them: 90s, 5m, 1h30m, 24h, 2d, or plain seconds. */
public final class Durations implements ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        try {
            return parse(value);
        } catch (UserInputException e) {
            throw new picocli.CommandLine.TypeConversionException(e.getMessage());
        }
    }

    public static Duration parse(String value) {
        if (value == null || value.isBlank()) {
            throw new UserInputException("empty duration: use e.g. 90s, 5m, 1h");
        }
        if (value.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(value));
        }
        Matcher m = PART.matcher(value);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            end = m.end();
        }
        if (end != value.length() || end == 0) {
            throw new UserInputException("cannot read duration '" + value + "': use e.g. 90s, 5m, 1h30m, 24h");
        }
        return total;
    }
}
