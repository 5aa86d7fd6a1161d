package io.swarmcanary.release;

import io.swarmcanary.UserInputException;
import java.util.regex.Pattern;

/** One app in one environment: the unit of routing and of locking. */
public record Track(String app, String env) {
    // Dots would split tasks.<service> into several DNS labels, so app and env may not hold them.
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

    public Track {
        requirePart("app", app);
        requirePart("env", env);
    }

    static void requirePart(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new UserInputException("--" + what + " is required");
        }
        if (!value.matches("[A-Za-z0-9._-]+")) {
            throw new UserInputException("invalid --" + what + " '" + Names.printable(value)
                    + "': use only letters, digits, '.', '_' and '-'");
        }
        if (!PART.matcher(value).matches()) {
            throw new UserInputException("invalid --" + what + " '" + value
                    + "': it must start with a letter or digit and hold no '.' (it becomes part of the DNS name tasks.<service>)");
        }
    }

    /** {@code files-webdev}. */
    public String name() {
        return app + "-" + env;
    }
}
