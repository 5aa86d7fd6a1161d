package io.swarmcanary.analysis;

import io.swarmcanary.UserInputException;
import java.time.Duration;

/**
 * What a canary must show over the window to pass.
 *
 * @param maxErrorRate failed attempts / attempts, as a fraction (0.01 = 1%)
 */
public record Limits(long minRequests, double maxErrorRate, Duration maxP99) {
    public Limits {
        if (minRequests < 1) {
            throw new UserInputException("--min-requests must be at least 1 (too few requests is never a pass), got "
                    + minRequests + ". Nothing was changed.");
        }
        if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
            throw new UserInputException("--max-error-rate must be between 0% and 100%. Nothing was changed.");
        }
        if (maxP99.isNegative() || maxP99.isZero()) {
            throw new UserInputException("--max-p99 must be above 0, e.g. 500ms. Nothing was changed.");
        }
    }

    /** "1%", "1", "0.5%" are all percent: the pipeline writes maxErrorRate: 1 for 1%. */
    public static double parsePercent(String value) {
        String v = value.trim();
        if (v.endsWith("%")) {
            v = v.substring(0, v.length() - 1).trim();
        }
        try {
            double p = Double.parseDouble(v);
            if (!(p >= 0 && p <= 100)) {
                throw new NumberFormatException();
            }
            return p / 100;
        } catch (NumberFormatException e) {
            throw new UserInputException("cannot read --max-error-rate '" + value + "': a percentage 0-100, e.g. 1% or 0.5."
                    + " Nothing was changed.");
        }
    }
}
