package io.swarmcanary.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Which test bed the integration tests run on, chosen by one environment variable: {@code SC_BED=3} is the
 * three-node bed ({@code testbed/up.sh --nodes 3}: Docker over TCP+TLS, images from its registry with a login,
 * an Envoy published on every node); unset or {@code 1} is the host's one-node swarm on the local socket.
 * {@code SC_BED=3 bin/test} brings the bed up and exports its lines; by hand: {@code eval "$(testbed/up.sh --nodes 3)"}.
 */
public final class Bed {
    /** Node i of the three-node bed is 198.18.0.1i (testbed/lib/nodes.sh). */
    private static final List<String> BED_NODES = List.of("198.18.0.11", "198.18.0.12", "198.18.0.13");
    private static final String BED_SOCKETS = "/run/swarm-canary-bed/";

    /** True on the three-node bed. */
    public static final boolean THREE = three();
    /** Where the CLI probes the edge and where tests read it: the manager on the bed, loopback on one node. */
    public static final String PROBE_HOST = THREE ? BED_NODES.get(0) : "127.0.0.1";
    /** The address of every node whose published edge port takes traffic. */
    public static final List<String> NODE_HOSTS = THREE ? BED_NODES : List.of("127.0.0.1");
    /** The bed's registry (host:port), null on the one-node bed (images are local there). */
    public static final String REGISTRY = THREE ? System.getenv("SC_REGISTRY") : null;

    private static final Map<String, DockerClient> NODE_CLIENTS = new LinkedHashMap<>();

    private Bed() {}

    private static boolean three() {
        String bed = System.getenv().getOrDefault("SC_BED", "1");
        if (!bed.equals("1") && !bed.equals("3") && !bed.isEmpty()) {
            throw new IllegalStateException("SC_BED='" + bed + "': 1 (the host's one-node swarm, default) or 3 (testbed/up.sh --nodes 3)");
        }
        if (!bed.equals("3")) {
            return false;
        }
        // never fall back to the host's own dockerd while meaning the bed: another swarm, other people's services
        if (!("tcp://" + BED_NODES.get(0) + ":2376").equals(System.getenv("DOCKER_HOST")) || System.getenv("SC_REGISTRY") == null) {
            throw new IllegalStateException("SC_BED=3 needs the bed's environment: eval \"$(testbed/up.sh --nodes 3)\" "
                    + "(or run SC_BED=3 bin/test); DOCKER_HOST is '" + System.getenv("DOCKER_HOST") + "'");
        }
        return true;
    }

    /** A test image by its local name (swarm-canary/testapp:latest): on the bed, the same image in its registry. */
    public static String image(String localName) {
        return THREE ? REGISTRY + "/" + localName : localName;
    }

    /**
     * An image built on the host's dockerd under {@code localTag}, made usable by the swarm: on the bed tagged into
     * the registry and pushed (the nodes pull it with the CLI's login); on one node used as it is.
     */
    public static String publish(String localTag) {
        if (!THREE) {
            return localTag;
        }
        String remote = image(localTag);
        hostDocker("tag", localTag, remote);
        hostDocker("push", "-q", remote);
        return remote;
    }

    /** Pulls an image of the registry onto every node of the bed (with the host docker CLI's login); nothing on one node. */
    public static void pullOnEveryNode(String image) {
        if (THREE) {
            for (int i = 1; i <= BED_NODES.size(); i++) {
                hostDocker("-H", "unix://" + BED_SOCKETS + "scn" + i + ".sock", "pull", "-q", image);
            }
        }
    }

    /** Removes what {@link #publish} made on the host (the registry keeps its copy; the bed's down removes it). */
    public static void unpublish(String localTag) {
        if (THREE) {
            try {
                hostDocker("rmi", image(localTag));
            } catch (AssertionError gone) {
                // never published
            }
        }
    }

    /**
     * The docker CLI against the host's own dockerd (where test images are built), whatever DOCKER_HOST says.
     * An argument "&lt;&lt;TEXT" is sent as standard input instead.
     */
    public static String hostDocker(String... args) {
        return docker(true, args);
    }

    /** The docker CLI against the bed under test (DOCKER_HOST as the tests see it). */
    public static String docker(String... args) {
        return docker(false, args);
    }

    /**
     * The product image (testbed/cli-image.sh: the repository's Dockerfile on the bed's JRE base, built on the host's
     * dockerd) under {@code localTag}, published for the swarm; returns the reference services use.
     */
    public static String cliImage(String localTag) {
        run(true, null, List.of("testbed/cli-image.sh", localTag));
        return publish(localTag);
    }

    /**
     * Removes what {@link #cliImage} made: on the three-node bed its published copy and the host's build; on one node the
     * image the swarm ran, once Swarm has reaped the removed control plane's containers (they hold it until then).
     */
    public static void removeCliImage(String localTag) {
        unpublish(localTag);
        for (int attempt = 0; attempt < (THREE ? 1 : 60); attempt++) {
            try {
                hostDocker("rmi", localTag);
                return;
            } catch (AssertionError failed) {
                if (THREE || String.valueOf(failed.getMessage()).contains("No such image")) {
                    return; // never built, or gone
                }
                if (attempt == 59) {
                    System.err.println("Bed: image " + localTag + " left on the host: " + failed.getMessage());
                }
            }
            try {
                Thread.sleep(500); // in use by a container Swarm has not reaped yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String docker(boolean host, String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        String stdin = null;
        for (String a : args) {
            if (a.startsWith("<<")) {
                stdin = a.substring(2);
            } else {
                command.add(a);
            }
        }
        return run(host, stdin, command);
    }

    private static String run(boolean host, String stdin, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (host) {
            pb.environment().keySet().removeAll(List.of("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT"));
        }
        try {
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(Duration.ofMinutes(5).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(command + " failed: " + out);
            }
            return out.trim();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Every node's own engine: on the bed each node's local socket (containers and images are per node). */
    public static synchronized List<DockerClient> nodes(DockerClient swarm) {
        if (!THREE) {
            return List.of(swarm);
        }
        if (NODE_CLIENTS.isEmpty()) {
            for (int i = 1; i <= BED_NODES.size(); i++) {
                String host = "unix://" + BED_SOCKETS + "scn" + i + ".sock";
                var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host)
                        .withDockerTlsVerify(false).withApiVersion(RemoteApiVersion.VERSION_1_41).build();
                var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                        .connectionTimeout(Duration.ofSeconds(10)).responseTimeout(Duration.ofSeconds(120)).build();
                NODE_CLIENTS.put("scn" + i, DockerClientImpl.getInstance(config, http));
            }
        }
        return List.copyOf(NODE_CLIENTS.values());
    }

    /** The name of node i (1-3) of the bed, its hostname and its swarm node name. */
    public static String nodeName(int i) {
        return "scn" + i;
    }

    /** Stops one node's dockerd as a machine failure would take it (SIGTERM; its containers go with it). */
    public static void stopNode(String node) {
        nodesScript("bed_node_stop " + node);
    }

    /** Starts one node's dockerd again (it rejoins the swarm by itself) and waits until it answers. */
    public static void startNode(String node) {
        nodesScript("bed_node_up " + node + " && bed_node_wait " + node);
    }

    private static void nodesScript(String commands) {
        if (!THREE) {
            throw new IllegalStateException("nodes are stopped and started only on the three-node bed");
        }
        run(true, null, List.of("bash", "-c", "set -euo pipefail; say() { echo \"testbed: $*\"; }; die() { echo \"testbed: $*\" >&2; exit 1; }; "
                + "source testbed/lib/nodes.sh; " + commands));
    }

    /** The engine of the node that runs this container (the swarm's manager sees only its own containers). */
    public static DockerClient nodeOf(DockerClient swarm, String containerId) {
        for (DockerClient node : nodes(swarm)) {
            try {
                node.inspectContainerCmd(containerId).exec();
                return node;
            } catch (NotFoundException elsewhere) {
                // on another node
            }
        }
        throw new AssertionError("container " + containerId + " is on no node of the bed");
    }
}
