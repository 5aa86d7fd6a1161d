package io.swarmcanary.compose;

import io.swarmcanary.release.ConfigSource;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.ReleaseOptions;
import io.swarmcanary.release.ReleaseOptions.MountTarget;
import io.swarmcanary.release.SecretSource;
import io.swarmcanary.swarm.ServiceOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A release's definition as one service of a stack file describes it, before the CLI's own flags are laid
 * over it. Everything the file says that a release cannot honour is in {@link #warnings()}.
 *
 * @param image    null when the file has none (then --image is required)
 * @param replicas null when the file does not say
 * @param port     the container port Envoy sends traffic to (from ports:), null when the file has none
 */
public record ComposeRelease(String image, Integer replicas, Integer port, List<String> env, List<String> networks,
                             List<SecretSource> secrets, List<String> constraints, ReleaseOptions options,
                             List<String> warnings) {

    /**
     * @param stack       the stack whose non-external networks ({@code <stack>_<net>}) to use, or null
     * @param environment the process environment, for {@code environment: [NAME]} entries and env secrets
     */
    public static ComposeRelease of(ComposeFile file, String serviceName, String stack, Map<String, String> environment) {
        ComposeFile.Value s = file.service(serviceName);
        List<String> warnings = new ArrayList<>();

        String image = s.get("image").map(ComposeFile.Value::text).orElse(null);
        List<String> args = s.get("command").map(Values::command).orElse(List.of());
        List<String> entrypoint = s.get("entrypoint").map(Values::command).orElse(List.of());
        List<String> env = environment(file, s, environment, warnings);
        Map<String, String> containerLabels = labels(s.get("labels"));

        Map<String, MountTarget> secretTargets = new LinkedHashMap<>();
        List<SecretSource> secrets = new ArrayList<>();
        for (ComposeFile.Value ref : s.get("secrets").map(ComposeFile.Value::items).orElse(List.of())) {
            Reference r = reference(ref, false);
            if (secretTargets.containsKey(r.source())) {
                throw ref.error("secret '" + r.source() + "' is mounted twice; a release mounts each secret once");
            }
            ComposeFile.Value top = topLevel(file, "secrets", r.source(), ref);
            secrets.add(secretSource(file, r.source(), top, environment));
            secretTargets.put(r.source(), r.target());
            warnings.addAll(unhonoured(top, "secret"));
        }
        List<ConfigSource> configs = new ArrayList<>();
        for (ComposeFile.Value ref : s.get("configs").map(ComposeFile.Value::items).orElse(List.of())) {
            Reference r = reference(ref, true);
            ComposeFile.Value top = topLevel(file, "configs", r.source(), ref);
            configs.add(new ConfigSource(r.source(), existingFile(file, top, "config"), r.target()));
            warnings.addAll(unhonoured(top, "config"));
        }
        List<String> networks = networks(file, s, stack);

        ServiceOptions.Health health = s.get("healthcheck").map(ComposeRelease::health).orElse(null);
        Integer replicas = null;
        List<String> constraints = List.of();
        Map<String, String> serviceLabels = Map.of();
        List<String> preferences = List.of();
        Integer maxPerNode = null;
        ServiceOptions.Resources limits = null;
        ServiceOptions.Resources reservations = null;
        ServiceOptions.RestartPolicy restart = null;
        ServiceOptions.RolloutPolicy update = null;
        ServiceOptions.RolloutPolicy rollback = null;
        Optional<ComposeFile.Value> deploy = s.get("deploy");
        if (deploy.isPresent()) {
            ComposeFile.Value d = deploy.get();
            Optional<ComposeFile.Value> mode = d.get("mode");
            if (mode.isPresent() && !"replicated".equals(mode.get().text())) {
                throw mode.get().error("a release runs replicated (its own versioned service); 'global' is for the edge"
                        + " (swarm-canary edge ensure --compose)");
            }
            replicas = d.get("replicas").map(ComposeFile.Value::integer).orElse(null);
            d.get("endpoint_mode").ifPresent(m -> {
                if (!"dnsrr".equals(m.text())) {
                    warnings.add(m.where() + ": " + m.text() + " not honoured: releases use dnsrr (Envoy resolves"
                            + " tasks.<service>; service VIPs are not used)");
                }
            });
            serviceLabels = labels(d.get("labels"));
            Optional<ComposeFile.Value> placement = d.get("placement");
            if (placement.isPresent()) {
                constraints = placement.get().get("constraints").map(ComposeFile.Value::strings).orElse(List.of());
                preferences = placement.get().get("preferences").map(p -> p.items().stream()
                        .map(i -> i.get("spread").orElseThrow(() -> i.error("a placement preference is {spread: <label>}"))
                                .text()).toList()).orElse(List.of());
                maxPerNode = placement.get().get("max_replicas_per_node").map(ComposeFile.Value::integer).orElse(null);
            }
            Optional<ComposeFile.Value> resources = d.get("resources");
            if (resources.isPresent()) {
                limits = resources.get().get("limits").map(ComposeRelease::resources).orElse(null);
                reservations = resources.get().get("reservations").map(ComposeRelease::resources).orElse(null);
            }
            restart = d.get("restart_policy").map(ComposeRelease::restart).orElse(null);
            update = d.get("update_config").map(ComposeRelease::rollout).orElse(null);
            rollback = d.get("rollback_config").map(ComposeRelease::rollout).orElse(null);
        }

        Integer port = null;
        List<Integer> targets = new ArrayList<>();
        for (ComposeFile.Value p : s.get("ports").map(ComposeFile.Value::items).orElse(List.of())) {
            Values.Port parsed = Values.port(p);
            p.use();
            if (!targets.contains(parsed.target())) {
                targets.add(parsed.target());
            }
            if (parsed.published() != null) {
                warnings.add(p.where() + ": published port " + parsed.published() + " not honoured: a release is reached"
                        + " by Envoy on tasks.<service>:" + parsed.target() + " (two releases could not publish the same port)");
            }
        }
        if (!targets.isEmpty()) {
            port = targets.get(0);
            if (targets.size() > 1) {
                warnings.add(s.where() + ".ports: several container ports " + targets + ": Envoy sends traffic to the first,"
                        + " " + port + " (choose another with --port)");
            }
        }

        Capabilities.Effective caps = capabilities(s);
        ServiceOptions service = new ServiceOptions(entrypoint,
                s.get("working_dir").map(ComposeFile.Value::text).orElse(null),
                s.get("user").map(ComposeFile.Value::text).orElse(null),
                s.get("hostname").map(ComposeFile.Value::text).orElse(null),
                s.get("init").map(ComposeFile.Value::bool).orElse(null),
                s.get("read_only").map(ComposeFile.Value::bool).orElse(null),
                s.get("tty").map(ComposeFile.Value::bool).orElse(null),
                s.get("stop_signal").map(ComposeFile.Value::text).orElse(null),
                s.get("stop_grace_period").map(Values::duration).orElse(null),
                health, limits, reservations, preferences, maxPerNode, update, rollback, restart,
                caps.add(), caps.drop());
        warnings.addAll(0, unhonoured(s, "release"));
        return new ComposeRelease(image, replicas, port, env, networks, secrets, constraints,
                new ReleaseOptions(secretTargets, configs, args, serviceLabels, containerLabels, service), List.copyOf(warnings));
    }

    /** Sorted KEY=VALUE: env_file entries first, then environment:, as the docker CLI merges them. */
    private static List<String> environment(ComposeFile file, ComposeFile.Value s, Map<String, String> processEnv,
                                            List<String> warnings) {
        Map<String, String> values = new TreeMap<>();
        for (ComposeFile.Value f : s.get("env_file").map(v -> v.isList() ? v.items() : List.of(v)).orElse(List.of())) {
            Path path = file.directory().resolve(f.text());
            if (!Files.isRegularFile(path)) {
                throw f.error("env file " + path + " does not exist");
            }
            values.putAll(DotEnv.parse(path, false, (key, line) -> {
                String fromProcess = processEnv.get(key);
                if (fromProcess != null) {
                    values.put(key, fromProcess);
                }
            }));
        }
        s.get("environment").ifPresent(e -> {
            if (e.isList()) {
                for (ComposeFile.Value item : e.items()) {
                    String text = item.text();
                    int eq = text.indexOf('=');
                    if (eq < 0) {
                        bare(text, item, processEnv, values, warnings);
                    } else {
                        values.put(text.substring(0, eq), text.substring(eq + 1));
                    }
                }
            } else {
                e.entries().forEach((key, value) -> {
                    if (value.isNull()) {
                        value.use();
                        bare(key, value, processEnv, values, warnings);
                    } else {
                        values.put(key, value.text());
                    }
                });
            }
        });
        List<String> env = new ArrayList<>();
        values.forEach((k, v) -> env.add(k + "=" + v));
        return env;
    }

    /** {@code - NAME} without a value: taken from the environment the command runs in, like the docker CLI. */
    private static void bare(String key, ComposeFile.Value where, Map<String, String> processEnv, Map<String, String> values,
                             List<String> warnings) {
        String value = processEnv.get(key);
        if (value == null) {
            warnings.add(where.where() + ": " + key + " has no value and is not set in the environment: left out");
        } else {
            values.put(key, value);
        }
    }

    private static Map<String, String> labels(Optional<ComposeFile.Value> labels) {
        Map<String, String> out = new TreeMap<>();
        labels.ifPresent(l -> {
            if (l.isList()) {
                for (ComposeFile.Value item : l.items()) {
                    String text = item.text();
                    int eq = text.indexOf('=');
                    putLabel(out, item, eq < 0 ? text : text.substring(0, eq), eq < 0 ? "" : text.substring(eq + 1));
                }
            } else {
                l.entries().forEach((k, v) -> putLabel(out, v, k, v.isNull() ? "" : v.text()));
                l.use();
            }
        });
        return out;
    }

    private static void putLabel(Map<String, String> out, ComposeFile.Value where, String key, String value) {
        if (key.startsWith(Labels.PREFIX)) {
            throw where.error("labels starting with " + Labels.PREFIX + " are swarm-canary's own state; rename " + key);
        }
        out.put(key, value);
    }

    /** A secrets:/configs: entry of a service: {@code name} or {@code {source, target, uid, gid, mode}}. */
    record Reference(String source, MountTarget target) {}

    /** A short entry, or a long one without target, is mounted under its source name, as docker stack deploy does. */
    static Reference reference(ComposeFile.Value ref, boolean config) {
        if (!ref.isMap()) {
            String source = ref.text();
            return new Reference(source, MountTarget.of(source));
        }
        String source = ref.get("source").map(ComposeFile.Value::text)
                .orElseThrow(() -> ref.error("needs 'source:' (the name under the top-level " + (config ? "configs" : "secrets") + ":)"));
        String target = ref.get("target").map(ComposeFile.Value::text).orElse(source);
        return new Reference(source, new MountTarget(target,
                ref.get("uid").map(ComposeFile.Value::text).orElse("0"),
                ref.get("gid").map(ComposeFile.Value::text).orElse("0"),
                ref.get("mode").map(Values::mode).orElse(io.swarmcanary.swarm.SecretMount.DEFAULT_MODE)));
    }

    static ComposeFile.Value topLevel(ComposeFile file, String section, String name, ComposeFile.Value ref) {
        return file.root().get(section).flatMap(x -> x.get(name)).orElseThrow(() -> ref.error("'" + name
                + "' is not defined under the top-level " + section + ": of the file"));
    }

    private static SecretSource secretSource(ComposeFile file, String name, ComposeFile.Value top, Map<String, String> environment) {
        top.get("external").ifPresent(x -> {
            throw x.error("external secrets are not used by releases: swarm-canary names secrets by their content"
                    + " (<app>-<env>-" + name + "-<keyed hash>) so each release keeps its own; give the secret a 'file:'"
                    + " or 'environment:' source");
        });
        Optional<ComposeFile.Value> variable = top.get("environment");
        if (variable.isPresent()) {
            String var = variable.get().text();
            if (!environment.containsKey(var)) {
                throw variable.get().error("secret '" + name + "' comes from environment variable " + var
                        + ", which is not set; export it (Jenkins: withCredentials) and re-run");
            }
            return SecretSource.parse(name + "=env:" + var);
        }
        return SecretSource.parse(name + "=file:" + existingFile(file, top, "secret"));
    }

    private static Path existingFile(ComposeFile file, ComposeFile.Value top, String kind) {
        ComposeFile.Value f = top.get("file").orElseThrow(() -> top.error("a " + kind + " for a release needs 'file:'"
                + (kind.equals("secret") ? " or 'environment:'" : "") + " (swarm-canary creates it, content-addressed)"));
        Path path = file.directory().resolve(f.text()).normalize();
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw f.error(kind + " file " + path + " does not exist or is not readable");
        }
        return path;
    }

    /** The Swarm networks the service's networks: are, checked against the top-level networks:. */
    static List<String> networks(ComposeFile file, ComposeFile.Value s, String stack) {
        List<String> out = new ArrayList<>();
        Optional<ComposeFile.Value> nets = s.get("networks");
        if (nets.isEmpty()) {
            return out;
        }
        Map<String, ComposeFile.Value> refs = new LinkedHashMap<>();
        if (nets.get().isList()) {
            nets.get().items().forEach(i -> refs.put(i.text(), i));
        } else {
            nets.get().entries().forEach(refs::put);
        }
        refs.forEach((key, ref) -> {
            if (ref.isNull()) {
                ref.use();
            }
            ComposeFile.Value top = file.root().get("networks").flatMap(n -> n.get(key)).orElse(null);
            if (top == null) {
                // "networks: {backend: }" has a null value: the key is defined, with Docker's defaults
                boolean declared = file.root().get("networks").map(n -> n.entries().containsKey(key)).orElse(false);
                if (!declared) {
                    throw ref.error("network '" + key + "' is not defined under the top-level networks: of the file");
                }
            }
            Optional<ComposeFile.Value> external = top == null ? Optional.empty() : top.get("external");
            Optional<String> name = top == null ? Optional.empty() : top.get("name").map(ComposeFile.Value::text);
            if (external.isPresent()) {
                ComposeFile.Value x = external.get();
                if (x.isMap()) { // the old form: external: {name: real-name}
                    out.add(x.get("name").map(ComposeFile.Value::text).orElse(name.orElse(key)));
                } else if (x.bool()) {
                    out.add(name.orElse(key));
                } else {
                    out.add(stackNetwork(ref, key, name, stack));
                }
            } else {
                out.add(stackNetwork(ref, key, name, stack));
            }
            if (top != null) {
                top.use(); // how the network is made: the stack's business, not the release's
            }
        });
        return out;
    }

    private static String stackNetwork(ComposeFile.Value ref, String key, Optional<String> name, String stack) {
        if (stack == null) {
            throw ref.error("network '" + key + "' is not external: 'docker stack deploy' would create it as <stack>_" + key
                    + " and remove it with the stack. Mark it 'external: true' (recommended: releases outlive stacks),"
                    + " or pass --stack NAME to use the network of a deployed stack");
        }
        return name.orElse(stack + "_" + key);
    }

    private static ServiceOptions.Health health(ComposeFile.Value h) {
        if (h.get("disable").map(ComposeFile.Value::bool).orElse(false)) {
            return new ServiceOptions.Health(List.of("NONE"), null, null, null, null);
        }
        List<String> test = h.get("test").map(t -> {
            if (!t.isList()) {
                return List.of("CMD-SHELL", t.text());
            }
            List<String> words = t.strings();
            if (words.isEmpty() || !List.of("CMD", "CMD-SHELL", "NONE").contains(words.get(0))) {
                throw t.error("a healthcheck test list starts with CMD, CMD-SHELL or NONE");
            }
            return words;
        }).orElse(List.of());
        return new ServiceOptions.Health(test,
                h.get("interval").map(Values::duration).orElse(null),
                h.get("timeout").map(Values::duration).orElse(null),
                h.get("retries").map(ComposeFile.Value::integer).orElse(null),
                h.get("start_period").map(Values::duration).orElse(null));
    }

    private static ServiceOptions.Resources resources(ComposeFile.Value r) {
        return new ServiceOptions.Resources(r.get("cpus").map(Values::cpus).orElse(null),
                r.get("memory").map(Values::memory).orElse(null));
    }

    private static ServiceOptions.RestartPolicy restart(ComposeFile.Value r) {
        return new ServiceOptions.RestartPolicy(
                r.get("condition").map(c -> oneOf(c, "none", "on-failure", "any")).orElse(null),
                r.get("delay").map(Values::duration).orElse(null),
                r.get("max_attempts").map(v -> (long) v.integer()).orElse(null),
                r.get("window").map(Values::duration).orElse(null));
    }

    private static ServiceOptions.RolloutPolicy rollout(ComposeFile.Value r) {
        return new ServiceOptions.RolloutPolicy(
                r.get("parallelism").map(v -> (long) v.integer()).orElse(null),
                r.get("delay").map(Values::duration).orElse(null),
                r.get("failure_action").map(v -> oneOf(v, "continue", "pause", "rollback")).orElse(null),
                r.get("monitor").map(Values::duration).orElse(null),
                r.get("max_failure_ratio").map(v -> {
                    try {
                        return Float.parseFloat(v.text());
                    } catch (NumberFormatException e) {
                        throw v.error("expected a ratio such as 0.1");
                    }
                }).orElse(null),
                r.get("order").map(v -> oneOf(v, "stop-first", "start-first")).orElse(null));
    }

    private static String oneOf(ComposeFile.Value v, String... allowed) {
        String text = v.text();
        if (!List.of(allowed).contains(text)) {
            throw v.error("expected one of " + String.join(", ", allowed) + ", found '" + io.swarmcanary.release.Names.printable(text) + "'");
        }
        return text;
    }

    /** cap_add and cap_drop as the docker CLI applies them; an unknown name is bad input (it would only fail on the node). */
    private static Capabilities.Effective capabilities(ComposeFile.Value s) {
        Optional<ComposeFile.Value> add = s.get("cap_add");
        Optional<ComposeFile.Value> drop = s.get("cap_drop");
        try {
            return Capabilities.effective(add.map(ComposeFile.Value::strings).orElse(List.of()),
                    add.map(ComposeFile.Value::where).orElse(""), drop.map(ComposeFile.Value::strings).orElse(List.of()),
                    drop.map(ComposeFile.Value::where).orElse(""));
        } catch (IllegalArgumentException e) {
            throw new io.swarmcanary.UserInputException(e.getMessage() + ". Nothing was changed.");
        }
    }

    /** Why well-known keys are not honoured; anything else gets the generic reason. */
    private static final Map<String, String> REASONS = Map.ofEntries(
            Map.entry("build", "a release runs an image that exists: build (and push) it in the pipeline first"),
            Map.entry("depends_on", "Swarm does not order start-up; a release gets traffic only once its healthcheck passes"),
            Map.entry("container_name", "Swarm names the containers; the release's service is <app>-<env>-<version>"),
            Map.entry("links", "Swarm has no links: services find each other on a shared network"),
            Map.entry("external_links", "Swarm has no links: services find each other on a shared network"),
            Map.entry("privileged", "Swarm services cannot run privileged (docker stack deploy ignores it too)"),
            Map.entry("network_mode", "Swarm services attach to networks, not to the host's (docker stack deploy ignores it too)"),
            Map.entry("restart", "Swarm uses deploy.restart_policy"),
            Map.entry("volumes", "swarm-canary does not mount volumes into releases: put files in secrets or configs"),
            Map.entry("name", "swarm-canary names it by content: <app>-<env>-<name>-<keyed hash>"),
            Map.entry("labels", "swarm-canary labels what it creates with its own state"));

    /** What nothing read under this value: a warning each, with file, line and path. */
    static List<String> unhonoured(ComposeFile.Value value, String what) {
        List<String> out = new ArrayList<>();
        for (ComposeFile.Value v : value.unused()) {
            String last = v.path().substring(v.path().lastIndexOf('.') + 1).replaceAll("\\[\\d+]$", "");
            out.add(v.where() + ": not honoured for a" + (what.startsWith("e") ? "n " : " ") + what + ": "
                    + REASONS.getOrDefault(last, "swarm-canary does not apply this setting"));
        }
        return out;
    }
}
