package io.swarmcanary.testing;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Constant load on the published port of every node, one client thread per node, counted per node: answers per
 * version and failures (any non-200, refused or timed-out request). {@link #counts()} between phases gives each
 * phase's figures.
 */
public final class NodeLoad implements AutoCloseable {
    private final Map<String, Map<String, AtomicLong>> counts = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    public NodeLoad(int port, String host) {
        for (String node : Bed.NODE_HOSTS) {
            Map<String, AtomicLong> mine = new ConcurrentHashMap<>();
            counts.put(node, mine);
            Thread t = new Thread(() -> {
                while (running) {
                    String key;
                    try {
                        HttpResponse<String> r = Traffic.get(node, port, host, Map.of());
                        key = r.statusCode() == 200 ? r.body().trim().split(" ")[0] : "failed";
                    } catch (Exception e) {
                        key = "failed";
                        TestSwarm.sleep(100); // a node that is gone refuses at once: do not spin
                    }
                    mine.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
                    TestSwarm.sleep(20);
                }
            }, "load-" + node);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** So far, per node: answers per version ("version=1.0.0") and "failed". */
    public Map<String, Map<String, Long>> counts() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        counts.forEach((node, c) -> {
            Map<String, Long> copy = new TreeMap<>();
            c.forEach((k, v) -> copy.put(k, v.get()));
            out.put(node, copy);
        });
        return out;
    }

    /** What happened between two {@link #counts()}. */
    public static Map<String, Map<String, Long>> since(Map<String, Map<String, Long>> before, Map<String, Map<String, Long>> after) {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        after.forEach((node, c) -> {
            Map<String, Long> d = new TreeMap<>();
            c.forEach((k, v) -> {
                long delta = v - before.getOrDefault(node, Map.of()).getOrDefault(k, 0L);
                if (delta != 0) {
                    d.put(k, delta);
                }
            });
            out.put(node, d);
        });
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
