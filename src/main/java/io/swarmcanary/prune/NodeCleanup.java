package io.swarmcanary.prune;

import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.GlobalJob;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.time.Clock;
import io.swarmcanary.wait.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cleans every node with one Swarm {@code global-job}: a container of an image holding the docker CLI, the node's
 * Docker socket mounted, runs a fixed script. It never prunes machine-wide: it removes the images it is given (by
 * reference, without force: an image a container uses stays), stopped containers of the given tracks' releases older
 * than the grace period, and, only when asked, unused images carrying one label older than the grace period.
 * Values reach the script through the environment, never through its text.
 */
public final class NodeCleanup {
    public static final String DOCKER_SOCKET = "/var/run/docker.sock";
    private static final Pattern IMAGE_REF = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]*");
    private static final Pattern LINE = Pattern.compile("^@@ (\\S+) (\\S+) ?(.*)$");

    /** Runs on each node; every line it prints for us starts with "@@ <node> <what>". */
    static final String SCRIPT = String.join("\n",
            "say() { echo \"@@ $PRUNE_NODE $*\"; }",
            "one_line() { tr '\\n' ' '; }",
            "reclaimed() { sed -n 's/^Total reclaimed space: //p'; }",
            "for track in $PRUNE_TRACKS; do",
            "  if out=$(docker container prune -f --filter \"until=$PRUNE_UNTIL\" --filter \"label=io.swarm-canary.track=$track\" 2>&1); then",
            "    say containers \"$track $(echo \"$out\" | grep -c '^[0-9a-f]\\{64\\}$') $(echo \"$out\" | reclaimed)\"",
            "  else say error \"container prune $track: $(echo \"$out\" | one_line)\"; fi",
            "done",
            "# the removed releases' containers may still be stopping on this node: an image in use cannot go",
            "for service in $PRUNE_SERVICES; do",
            "  n=0",
            "  while [ -n \"$(docker ps -aq --filter \"label=com.docker.swarm.service.id=$service\")\" ] && [ $n -lt 60 ]; do sleep 1; n=$((n+1)); done",
            "done",
            "for image in $PRUNE_IMAGES; do",
            "  size=$(docker image inspect -f '{{.Size}}' \"$image\" 2>/dev/null) || { say image-absent \"$image\"; continue; }",
            "  if out=$(docker image rm \"$image\" 2>&1); then",
            "    case \"$out\" in *Deleted:*) say image-deleted \"$image $size\";; *) say image-untagged \"$image 0\";; esac",
            "  else say image-kept \"$image $(echo \"$out\" | one_line)\"; fi",
            "done",
            "if [ -n \"$PRUNE_IMAGE_LABEL\" ]; then",
            "  if out=$(docker image prune -a -f --filter \"until=$PRUNE_UNTIL\" --filter \"label=$PRUNE_IMAGE_LABEL\" 2>&1); then",
            "    say labelled-images \"$(echo \"$out\" | grep -c '^deleted: ') $(echo \"$out\" | reclaimed)\"",
            "  else say error \"image prune: $(echo \"$out\" | one_line)\"; fi",
            "fi",
            "say done");

    private final SwarmGateway swarm;
    private final Clock clock;

    public NodeCleanup(SwarmGateway swarm, Clock clock) {
        this.swarm = swarm;
        this.clock = clock;
    }

    /** What one node did. */
    public record NodeReport(String node, List<String> removedImages, List<String> keptImages, int containersRemoved,
                             int labelledImagesRemoved, long reclaimedBytes, List<String> errors, boolean finished) {}

    /**
     * @param removedServiceIds releases this run removed: their containers must be gone before their images can go
     */
    public List<NodeReport> run(String image, List<String> images, List<String> tracks, List<String> removedServiceIds,
                                PrunePolicy policy, Duration timeout, Progress progress) {
        String name = "swarm-canary-prune-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> labels = new LinkedHashMap<>(Labels.managed());
        labels.put(Labels.KIND, Labels.Kind.PRUNE_JOB);
        List<String> env = List.of(
                "PRUNE_NODE={{.Node.Hostname}}",
                "PRUNE_UNTIL=" + policy.until(),
                "PRUNE_TRACKS=" + String.join(" ", safe(tracks)),
                "PRUNE_SERVICES=" + String.join(" ", safe(removedServiceIds)),
                "PRUNE_IMAGES=" + String.join(" ", safe(images)),
                "PRUNE_IMAGE_LABEL=" + (policy.imageLabel() == null ? "" : policy.imageLabel()));
        String id = swarm.createGlobalJob(new GlobalJob(name, image, List.of("sh", "-c", SCRIPT), env,
                Map.of(DOCKER_SOCKET, DOCKER_SOCKET), labels));
        progress.info("started job " + name + " (" + image + ") on every node");
        try {
            List<TaskInfo> tasks = await(name, timeout, progress);
            List<NodeReport> reports = new ArrayList<>(parse(swarm.serviceLogs(id)));
            for (TaskInfo t : tasks) {
                if (!"complete".equals(t.state())) {
                    reports.add(new NodeReport("node " + t.nodeId(), List.of(), List.of(), 0, 0, 0,
                            List.of("job task " + t.state() + ": " + (t.error() == null ? t.message() : t.error())), false));
                }
            }
            return reports;
        } finally {
            swarm.removeService(id);
        }
    }

    private List<TaskInfo> await(String name, Duration timeout, Progress progress) {
        int nodes = swarm.readyNodes();
        long[] done = {0};
        Optional<List<TaskInfo>> finished = Wait.upTo(timeout, clock).every(Duration.ofMillis(500))
                .onInterrupt(() -> new IllegalStateException("interrupted while waiting for the clean-up job"))
                .until(elapsed -> {
                    List<TaskInfo> tasks = swarm.tasks(name);
                    done[0] = tasks.stream().filter(NodeCleanup::finished).count();
                    progress.waiting("job " + name + ": " + done[0] + "/" + nodes + " nodes done");
                    return done[0] >= nodes && done[0] == tasks.size() ? Optional.of(tasks) : Optional.empty();
                });
        progress.done();
        return finished.orElseThrow(() -> new IllegalStateException("the clean-up job " + name + " did not finish on every"
                + " node within " + timeout.toSeconds() + "s (" + done[0] + "/" + nodes + " done); it was removed. Releases,"
                + " secrets and configs were already pruned; re-run with --images to clean the nodes again."));
    }

    private static boolean finished(TaskInfo t) {
        return switch (t.state()) {
            case "complete", "failed", "rejected", "shutdown", "orphaned", "remove" -> true;
            default -> false;
        };
    }

    /** Only what Docker would take as a reference, label or ID: nothing that could be read as a second word or an option. */
    private static List<String> safe(List<String> values) {
        return values.stream().filter(v -> IMAGE_REF.matcher(v).matches()).toList();
    }

    static List<NodeReport> parse(String logs) {
        Map<String, NodeReport> byNode = new LinkedHashMap<>();
        for (String line : logs.split("\n")) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                continue;
            }
            String node = m.group(1);
            String rest = m.group(3);
            NodeReport r = byNode.getOrDefault(node, new NodeReport(node, List.of(), List.of(), 0, 0, 0, List.of(), false));
            String[] words = rest.split(" ", 3);
            r = switch (m.group(2)) {
                case "containers" -> new NodeReport(node, r.removedImages(), r.keptImages(),
                        r.containersRemoved() + intOf(words, 1), r.labelledImagesRemoved(),
                        r.reclaimedBytes() + bytes(words.length > 2 ? words[2] : ""), r.errors(), r.finished());
                case "image-deleted", "image-untagged" -> new NodeReport(node, plus(r.removedImages(), words[0]), r.keptImages(),
                        r.containersRemoved(), r.labelledImagesRemoved(), r.reclaimedBytes() + longOf(words, 1), r.errors(), r.finished());
                case "image-kept" -> new NodeReport(node, r.removedImages(), plus(r.keptImages(), rest.strip()),
                        r.containersRemoved(), r.labelledImagesRemoved(), r.reclaimedBytes(), r.errors(), r.finished());
                case "labelled-images" -> new NodeReport(node, r.removedImages(), r.keptImages(), r.containersRemoved(),
                        r.labelledImagesRemoved() + intOf(words, 0), r.reclaimedBytes() + bytes(words.length > 1 ? words[1] : ""),
                        r.errors(), r.finished());
                case "error" -> new NodeReport(node, r.removedImages(), r.keptImages(), r.containersRemoved(),
                        r.labelledImagesRemoved(), r.reclaimedBytes(), plus(r.errors(), rest.strip()), r.finished());
                case "done" -> new NodeReport(node, r.removedImages(), r.keptImages(), r.containersRemoved(),
                        r.labelledImagesRemoved(), r.reclaimedBytes(), r.errors(), true);
                default -> r; // image-absent: nothing to do on this node
            };
            byNode.put(node, r);
        }
        return List.copyOf(byNode.values());
    }

    private static List<String> plus(List<String> list, String value) {
        List<String> copy = new ArrayList<>(list);
        copy.add(value);
        return List.copyOf(copy);
    }

    private static int intOf(String[] words, int i) {
        return (int) longOf(words, i);
    }

    private static long longOf(String[] words, int i) {
        try {
            return i < words.length ? Long.parseLong(words[i].trim()) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Docker's human sizes (decimal units, as units.HumanSize prints them): 0B, 512B, 1.993MB, 2.1GB. */
    static long bytes(String human) {
        Matcher m = Pattern.compile("([0-9.]+)\\s*([kKMGTP]?)B").matcher(human.strip());
        if (!m.find()) {
            return 0;
        }
        double value = Double.parseDouble(m.group(1));
        int power = "kMGTP".indexOf(m.group(2).isEmpty() ? "" : m.group(2).replace('K', 'k')) + 1;
        return Math.round(value * Math.pow(1000, m.group(2).isEmpty() ? 0 : power));
    }
}
