package io.swarmcanary.compose;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The keys a compose (stack) file may have, so that a typo is an error with its path instead of a setting that
 * silently does nothing. Whether swarm-canary honours a key is decided elsewhere; this only knows which exist.
 */
final class Schema {
    /** What a node may look like. */
    sealed interface Shape permits Leaf, Any, Obj, Named, ListOf {}

    /** A scalar, or a list of scalars (command: "a b" or [a, b]). */
    record Leaf() implements Shape {}

    /** Anything: content we pass through or only report (build:, logging options, driver options). */
    record Any() implements Shape {}

    /** A mapping with these keys; {@code scalarOk}: a plain value is allowed too (secrets: [db] or [{source: db}]). */
    record Obj(Map<String, Shape> keys, boolean scalarOk) implements Shape {}

    /** A mapping whose keys the user chooses (services, labels), or a list of such entries when {@code listOk}. */
    record Named(Shape each, boolean listOk) implements Shape {}

    record ListOf(Shape each) implements Shape {}

    static final Shape LEAF = new Leaf();
    static final Shape ANY = new Any();

    private Schema() {}

    static Obj obj(Object... keysAndShapes) {
        return new Obj(keys(keysAndShapes), false);
    }

    static Obj objOrScalar(Object... keysAndShapes) {
        return new Obj(keys(keysAndShapes), true);
    }

    private static Map<String, Shape> keys(Object... keysAndShapes) {
        Map<String, Shape> keys = new LinkedHashMap<>();
        for (int i = 0; i < keysAndShapes.length; i++) {
            String key = (String) keysAndShapes[i];
            if (i + 1 < keysAndShapes.length && keysAndShapes[i + 1] instanceof Shape shape) {
                keys.put(key, shape);
                i++;
            } else {
                keys.put(key, LEAF);
            }
        }
        return keys;
    }

    /** A map (KEY: value) or a list (- KEY=value) of user-chosen entries: environment, labels, sysctls. */
    static final Shape DICT = new Named(ANY, true);

    private static final Obj FILE_REF = objOrScalar("source", "target", "uid", "gid", "mode");
    private static final Obj ROLLOUT = obj("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order");
    private static final Obj RESOURCES = obj("cpus", "memory", "pids", "generic_resources", ANY, "devices", ANY);

    static final Obj SERVICE = obj(
            "image", "command", "entrypoint", "environment", DICT, "env_file", "labels", DICT,
            "secrets", new ListOf(FILE_REF), "configs", new ListOf(FILE_REF),
            "networks", new Named(objOrScalar("aliases", "ipv4_address", "ipv6_address", "priority", "link_local_ips",
                    "mac_address", "driver_opts", ANY), true),
            "healthcheck", obj("test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"),
            "ports", new ListOf(objOrScalar("target", "published", "protocol", "mode", "host_ip", "name", "app_protocol")),
            "expose",
            "deploy", obj(
                    "mode", "replicas", "endpoint_mode", "labels", DICT,
                    "placement", obj("constraints", "preferences", new ListOf(obj("spread")), "max_replicas_per_node"),
                    "resources", obj("limits", RESOURCES, "reservations", RESOURCES),
                    "restart_policy", obj("condition", "delay", "max_attempts", "window"),
                    "update_config", ROLLOUT, "rollback_config", ROLLOUT),
            "user", "working_dir", "hostname", "init", "read_only", "tty", "stdin_open", "stop_signal", "stop_grace_period",
            "cap_add", "cap_drop",
            // known, but not honoured for a Swarm release: reported when present
            "build", ANY, "depends_on", ANY, "container_name", "links", "external_links", "privileged", "network_mode",
            "volumes", ANY, "restart", "cgroup_parent", "cgroupns_mode", "credential_spec", ANY,
            "devices", ANY, "dns", "dns_opt", "dns_search", "domainname", "extra_hosts", ANY, "group_add", "ipc",
            "isolation", "logging", ANY, "mac_address", "pid", "platform", "profiles", "pull_policy", "runtime",
            "security_opt", "shm_size", "sysctls", DICT, "tmpfs", "ulimits", ANY, "userns_mode", "scale",
            "cpus", "cpu_shares", "cpu_quota", "cpuset", "mem_limit", "mem_reservation", "memswap_limit",
            "oom_kill_disable", "oom_score_adj", "pids_limit", "storage_opt", ANY, "volumes_from", "annotations", DICT,
            "attach", "develop", ANY, "extends", ANY);

    private static final Obj SECRET_OR_CONFIG = obj("file", "environment", "external", ANY, "name", "labels", DICT,
            "driver", "driver_opts", ANY, "template_driver", "content");

    static final Obj FILE = obj(
            "version", "name",
            "services", new Named(SERVICE, false),
            "networks", new Named(obj("driver", "driver_opts", ANY, "external", ANY, "name", "attachable", "internal",
                    "labels", DICT, "ipam", ANY, "enable_ipv6", "scope"), false),
            "volumes", ANY,
            "secrets", new Named(SECRET_OR_CONFIG, false),
            "configs", new Named(SECRET_OR_CONFIG, false));

    /** Extension fields (x-...) are allowed anywhere a key is, as in the compose format. */
    static boolean extension(String key) {
        return key.startsWith("x-");
    }

    /** The nearest known key, for "did you mean" (a typo is one or two edits away). */
    static String nearest(String key, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
