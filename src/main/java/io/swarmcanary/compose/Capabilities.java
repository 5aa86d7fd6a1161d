package io.swarmcanary.compose;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Linux capability names as a service spec takes them ({@code CAP_NET_ADMIN}, or {@code ALL}), from what a user writes
 * ({@code net_admin}, {@code NET_ADMIN}, {@code CAP_NET_ADMIN}), as the docker CLI normalises them. A name Docker does
 * not know would only fail on the node, task after task: it is refused before anything is created.
 */
final class Capabilities {
    /** Every capability of Linux 6.x (capability.h), the list moby checks against. */
    static final Set<String> KNOWN = Set.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
            "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
            "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");
    static final String ALL = "ALL";

    private Capabilities() {}

    /** What a service gets from cap_add and cap_drop, as the docker CLI computes it: normalised, sorted, and an added one not dropped. */
    record Effective(List<String> add, List<String> drop) {}

    static Effective effective(List<String> add, String addWhere, List<String> drop, String dropWhere) {
        List<String> adds = new ArrayList<>(normalised(add, addWhere));
        List<String> drops = new ArrayList<>(normalised(drop, dropWhere));
        drops.removeAll(adds);
        adds.sort(null);
        drops.sort(null);
        return new Effective(List.copyOf(adds), List.copyOf(drops));
    }

    /**
     * @param where for the error, e.g. "docker-compose.yml:12 services.web.cap_drop"
     * @return the names normalised, in the order given, without repeats
     * @throws IllegalArgumentException naming the unknown capability
     */
    static List<String> normalised(List<String> names, String where) {
        List<String> out = new ArrayList<>();
        for (String name : names) {
            String upper = name.trim().toUpperCase(Locale.ROOT);
            String cap = upper.equals(ALL) ? ALL : upper.startsWith("CAP_") ? upper : "CAP_" + upper;
            if (!cap.equals(ALL) && !KNOWN.contains(cap)) {
                throw new IllegalArgumentException(where + ": unknown capability '" + io.swarmcanary.release.Names.printable(name)
                        + "' (names as in capabilities(7), e.g. NET_BIND_SERVICE or CAP_NET_BIND_SERVICE, or ALL)");
            }
            if (!out.contains(cap)) {
                out.add(cap);
            }
        }
        return List.copyOf(out);
    }
}
