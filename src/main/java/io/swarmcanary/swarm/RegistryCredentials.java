package io.swarmcanary.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmcanary.UserInputException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Registry credentials, found the way the docker CLI finds them, for the {@code X-Registry-Auth} header that
 * {@code docker service create --with-registry-auth} sends (the nodes pull with it).
 *
 * <p>Where they come from, first match wins, per registry host (the image reference's host; Docker Hub when none):
 * <ol>
 *   <li>{@code SWARM_CANARY_REGISTRY_USER} and {@code SWARM_CANARY_REGISTRY_PASSWORD} for the registry named in
 *       {@code SWARM_CANARY_REGISTRY} (host[:port]) — what a Jenkins username/password credential binds to;</li>
 *   <li>{@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}: {@code credHelpers[host]}, else
 *       {@code credsStore} (both run {@code docker-credential-<name> get} found on PATH), else {@code auths[host]}
 *       ({@code auth} = base64 of user:password, or {@code identitytoken}).</li>
 * </ol>
 * Values are never printed: {@link Credential#toString()} shows the registry and user only, and no message built
 * here contains a password, a token or a helper's output.
 */
public final class RegistryCredentials {
    /** The key the docker CLI files Docker Hub's credentials under. */
    public static final String HUB_KEY = "https://index.docker.io/v1/";
    public static final String HUB = "docker.io";
    public static final String ENV_REGISTRY = "SWARM_CANARY_REGISTRY";
    public static final String ENV_USER = "SWARM_CANARY_REGISTRY_USER";
    public static final String ENV_PASSWORD = "SWARM_CANARY_REGISTRY_PASSWORD";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern HELPER = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    /** None: no header is sent. */
    public static final RegistryCredentials NONE = new RegistryCredentials(Map.of(), null);

    private final Map<String, String> env;
    private final Path configFile;
    private JsonNode config;
    private final Map<String, Optional<Credential>> cache = new HashMap<>();

    RegistryCredentials(Map<String, String> env, Path configFile) {
        this.env = Map.copyOf(env);
        this.configFile = configFile;
    }

    /** As the docker CLI of this process would: DOCKER_CONFIG or ~/.docker, plus the SWARM_CANARY_REGISTRY_* variables. */
    public static RegistryCredentials fromEnvironment() {
        return of(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static RegistryCredentials of(Map<String, String> env, Path home) {
        String dir = env.get("DOCKER_CONFIG");
        Path file = (dir == null || dir.isBlank() ? home.resolve(".docker") : Path.of(dir)).resolve("config.json");
        return new RegistryCredentials(env, file);
    }

    /** A login for one registry. {@code toString} never shows the password or token. */
    public record Credential(String registry, String username, String password, String identityToken) {
        /** The {@code X-Registry-Auth} header value: base64url of the JSON AuthConfig, as the docker CLI encodes it. */
        public String header() {
            ObjectNode json = JSON.createObjectNode();
            if (identityToken != null && !identityToken.isEmpty()) {
                json.put("identitytoken", identityToken);
            } else {
                json.put("username", username == null ? "" : username);
                json.put("password", password == null ? "" : password);
            }
            json.put("serveraddress", serverAddress(registry));
            return Base64.getUrlEncoder().encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
        }

        /** docker-java's model of the same login (for its typed commands that take one). */
        public com.github.dockerjava.api.model.AuthConfig authConfig() {
            var a = new com.github.dockerjava.api.model.AuthConfig().withRegistryAddress(serverAddress(registry));
            return identityToken != null && !identityToken.isEmpty() ? a.withIdentityToken(identityToken)
                    : a.withUsername(username).withPassword(password);
        }

        @Override
        public String toString() {
            return "Credential[registry=" + registry + ", username=" + username + "]";
        }
    }

    /** Whether an image reference names its registry host (its first path part has a '.' or ':', or is localhost). */
    public static boolean namesRegistry(String image) {
        int slash = image.indexOf('/');
        return slash > 0 && isRegistryHost(image.substring(0, slash));
    }

    private static boolean isRegistryHost(String first) {
        return first.contains(".") || first.contains(":") || first.equals("localhost");
    }

    /** The registry host of an image reference, as the docker CLI parses it: "docker.io" when the name has none. */
    public static String registryOf(String image) {
        String name = image;
        int at = name.indexOf('@');
        if (at >= 0) {
            name = name.substring(0, at);
        }
        int slash = name.indexOf('/');
        if (slash < 0) {
            return HUB;
        }
        String first = name.substring(0, slash);
        if (isRegistryHost(first)) {
            return normalize(first);
        }
        return HUB;
    }

    /** The address docker puts in an AuthConfig for this registry. */
    static String serverAddress(String registry) {
        return HUB.equals(registry) ? HUB_KEY : registry;
    }

    /** A config.json key or registry name reduced to host[:port] (Hub's aliases to docker.io). */
    static String normalize(String key) {
        String host = key.trim();
        int scheme = host.indexOf("://");
        if (scheme >= 0) {
            host = host.substring(scheme + 3);
        }
        int slash = host.indexOf('/');
        if (slash >= 0) {
            host = host.substring(0, slash);
        }
        host = host.toLowerCase(java.util.Locale.ROOT);
        return switch (host) {
            case "index.docker.io", "registry-1.docker.io", "docker.io" -> HUB;
            default -> host;
        };
    }

    /** The login for the image's registry, if this process has one. */
    public Optional<Credential> forImage(String image) {
        return forRegistry(registryOf(image));
    }

    public synchronized Optional<Credential> forRegistry(String registry) {
        String host = normalize(registry);
        return cache.computeIfAbsent(host, this::lookUp);
    }

    private Optional<Credential> lookUp(String host) {
        String envRegistry = env.get(ENV_REGISTRY);
        String envUser = env.get(ENV_USER);
        if (envUser != null && !envUser.isEmpty()) {
            if (envRegistry == null || envRegistry.isBlank()) {
                throw new UserInputException(ENV_USER + " is set but " + ENV_REGISTRY + " does not name the registry"
                        + " (host[:port]) it is for. Nothing was changed.");
            }
            if (normalize(envRegistry).equals(host)) {
                String password = env.get(ENV_PASSWORD);
                if (password == null) {
                    throw new UserInputException(ENV_USER + " is set but " + ENV_PASSWORD + " is not. Nothing was changed.");
                }
                return Optional.of(new Credential(host, envUser, password, null));
            }
        }
        JsonNode cfg = config();
        String helper = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = cfg.path("credHelpers").fields(); it.hasNext(); ) {
            var e = it.next();
            if (normalize(e.getKey()).equals(host)) {
                helper = e.getValue().asText();
            }
        }
        if (helper == null && !cfg.path("credsStore").asText("").isEmpty()) {
            helper = cfg.path("credsStore").asText();
        }
        if (helper != null) {
            return fromHelper(helper, host);
        }
        JsonNode auths = cfg.path("auths");
        JsonNode entry = auths.path(serverAddress(host));
        if (entry.isMissingNode()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
                var e = it.next();
                if (normalize(e.getKey()).equals(host)) {
                    entry = e.getValue();
                    break;
                }
            }
        }
        if (entry.isMissingNode()) {
            return Optional.empty();
        }
        String token = entry.path("identitytoken").asText("");
        String auth = entry.path("auth").asText("");
        String user = entry.path("username").asText("");
        String password = entry.path("password").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new UserInputException("the login for registry " + host + " in " + configFile
                        + " is not valid base64 (auths." + host + ".auth). Nothing was changed.");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new UserInputException("the login for registry " + host + " in " + configFile
                        + " is not user:password (auths." + host + ".auth). Nothing was changed.");
            }
            user = decoded.substring(0, colon);
            password = decoded.substring(colon + 1);
        }
        if (!token.isEmpty()) {
            return Optional.of(new Credential(host, user, null, token));
        }
        if (user.isEmpty() && password.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credential(host, user, password, null));
    }

    private JsonNode config() {
        if (config == null) {
            if (configFile == null || !Files.isRegularFile(configFile)) {
                config = JSON.createObjectNode();
            } else {
                try {
                    config = JSON.readTree(configFile.toFile());
                } catch (IOException e) {
                    // the parser's message may quote the file's content: name the file only
                    throw new UserInputException("cannot read the docker CLI configuration " + configFile
                            + " (not valid JSON?). Nothing was changed.");
                }
                if (config == null || !config.isObject()) {
                    config = JSON.createObjectNode();
                }
            }
        }
        return config;
    }

    /** {@code docker-credential-<helper> get} with the server address on stdin, as the docker CLI runs it. */
    private Optional<Credential> fromHelper(String helper, String host) {
        if (!HELPER.matcher(helper).matches()) {
            throw new UserInputException("credential helper name '" + helper + "' in " + configFile
                    + " is not a plain name. Nothing was changed.");
        }
        String program = "docker-credential-" + helper;
        Path executable = onPath(program);
        if (executable == null) {
            throw new UserInputException(configFile + " names the credential helper '" + helper + "' for registry " + host
                    + ", but " + program + " is not on PATH. Nothing was changed.");
        }
        Process process;
        try {
            process = new ProcessBuilder(executable.toString(), "get")
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new UserInputException("cannot run " + program + " for registry " + host + ". Nothing was changed.");
        }
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(serverAddress(host).getBytes(StandardCharsets.UTF_8));
            } catch (IOException exitedFirst) {
                // a helper that exits without reading its input (broken pipe): its exit code and output say why
            }
            byte[] out;
            try (InputStream stdout = process.getInputStream()) {
                out = stdout.readNBytes(1 << 20);
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new UserInputException(program + " did not answer within 30 s for registry " + host
                        + ". Nothing was changed.");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                if (text.contains("credentials not found")) {
                    return Optional.empty(); // the helpers' protocol for "no login for this server"
                }
                throw new UserInputException(program + " failed for registry " + host + " (exit " + process.exitValue()
                        + "). Nothing was changed.");
            }
            JsonNode answer;
            try {
                answer = JSON.readTree(text);
            } catch (IOException e) {
                throw new UserInputException(program + " answered something that is not JSON for registry " + host
                        + ". Nothing was changed.");
            }
            String user = answer == null ? "" : answer.path("Username").asText("");
            String secret = answer == null ? "" : answer.path("Secret").asText("");
            if (secret.isEmpty()) {
                return Optional.empty();
            }
            // the docker CLI's convention: user "<token>" means the secret is an identity token
            return Optional.of("<token>".equals(user) ? new Credential(host, null, null, secret)
                    : new Credential(host, user, secret, null));
        } catch (IOException e) {
            throw new UserInputException("cannot talk to " + program + " for registry " + host + ". Nothing was changed.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while asking " + program);
        }
    }

    private Path onPath(String program) {
        String path = env.getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Where the configuration is read from (for messages). */
    public Path configFile() {
        return configFile;
    }
}
