package io.swarmcanary.release;

import io.swarmcanary.UserInputException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Naming rules for releases and content-addressed objects. */
public final class Names {
    /** Docker limits service names, and DNS limits a label, to 63 characters. */
    public static final int MAX_SERVICE_NAME = 63;
    /** Docker limits secret and config names to 64 characters. */
    public static final int MAX_OBJECT_NAME = 64;

    /** What a canary's forced and mirror clusters add to its name (EnvoyConfigRenderer): no release name ends so. */
    public static final java.util.List<String> RESERVED_SUFFIXES = java.util.List.of("--forced", "--mirror");

    private Names() {}

    /** {@code files-webdev-1_0_10}. */
    public static String serviceName(Track track, String version) {
        requireVersion(version);
        String name = track.name() + "-" + version.replace('.', '_');
        if (name.length() > MAX_SERVICE_NAME) {
            throw new UserInputException("release name '" + name + "' has " + name.length()
                    + " characters; Docker and DNS allow " + MAX_SERVICE_NAME + ": shorten --app, --env or --version");
        }
        if (name.endsWith("-") || name.endsWith("_")) {
            throw new UserInputException("invalid --version '" + version + "': it must end with a letter or digit");
        }
        return name;
    }

    static void requireVersion(String version) {
        if (version == null || version.isEmpty()) {
            throw new UserInputException("--version is required");
        }
        if (!version.matches("[A-Za-z0-9._-]+")) {
            throw new UserInputException("invalid --version '" + printable(version)
                    + "': use only letters, digits, '.', '_' and '-'");
        }
        if (!Character.isLetterOrDigit(version.charAt(0))) {
            throw new UserInputException("invalid --version '" + version + "': it must start with a letter or digit");
        }
    }

    /** {@code files-webdev-db_password-0123456789ab}: same content, same name (for configs, whose content is no secret). */
    public static String contentAddressed(Track track, String logicalName, byte[] content) {
        return named(track, logicalName, sha256(content).substring(0, 12));
    }

    /**
     * A secret's name: {@code files-webdev-db_password-<12 hex of HMAC-SHA256(cluster key, value)>}. Same value, same
     * name in one cluster; without the key the name says nothing about the value.
     */
    public static String secretName(byte[] key, Track track, String logicalName, byte[] value) {
        return named(track, logicalName, keyedHash(key, value));
    }

    /** 12 hex of HMAC-SHA256(cluster key, value): what a secret's name carries of its value. */
    public static String keyedHash(byte[] key, byte[] value) {
        return keyedHash(key, value, 12);
    }

    /** The first {@code hexChars} hex of HMAC-SHA256(key, value). */
    public static String keyedHash(byte[] key, byte[] value, int hexChars) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(value)).substring(0, hexChars);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String named(Track track, String logicalName, String hash) {
        String name = track.name() + "-" + logicalName + "-" + hash;
        if (name.length() > MAX_OBJECT_NAME) {
            throw new UserInputException("secret name '" + name + "' has " + name.length()
                    + " characters; Docker allows " + MAX_OBJECT_NAME + ": shorten the secret's name '" + logicalName + "'");
        }
        return name;
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(String content) {
        return sha256(content.getBytes(StandardCharsets.UTF_8));
    }

    /** Shows control characters as escapes so an error message cannot be used to forge output lines. */
    public static String printable(String value) {
        StringBuilder out = new StringBuilder();
        value.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
