package io.unum.agent.cgroup;

import io.unum.agent.load.NodeLoadProbe;
import io.unum.agent.process.ProcFs;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.ProcessView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Enforces an agent's capacity: keeps every supervised process tree (shim, pid-namespace init,
 * program and descendants) in the agent's cgroup, and measures the node's load there, since
 * the machine's load average would count every agent's processes on a shared machine.
 *
 * <p>Every {@value #TICK_MILLIS} ms a ticker (1) moves in the trees of processes it has not seen
 * yet (new ones, restored ones, ones re-adopted after an agent restart) and (2) counts the
 * runnable threads in the cgroup. The supervisor is never changed for this: a new program runs
 * outside the cgroup for at most one tick. A tree is moved parent first, then its children are
 * listed again, until a pass moves nothing: a child forked after its parent moved is born inside,
 * one forked before is found by the next pass.
 *
 * <p>The load reported is the mean runnable-thread count over the last {@value #WINDOW_TICKS}
 * ticks (2 s), not an exponential 1-minute average: the balancer needs to see a move within a
 * heartbeat or two, or it would move more than it should.
 */
public final class CapacityEnforcer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CapacityEnforcer.class.getName());
    static final long TICK_MILLIS = 250;
    static final int WINDOW_TICKS = 8;

    private final NodeCgroup cgroup;
    private final Capacity capacity;
    private final ProcessSupervisor supervisor;
    private final NodeLoadProbe machine = new NodeLoadProbe();
    private final ScheduledExecutorService ticker;
    /** The (shim pid, program pid) each gpid had when its tree was last moved in. */
    private final Map<Integer, List<Integer>> adopted = new HashMap<>();
    private final Deque<Integer> runnable = new ArrayDeque<>();
    private long lastCpuNanos = -1;
    private long lastSampleNanos;

    private CapacityEnforcer(NodeCgroup cgroup, Capacity capacity, ProcessSupervisor supervisor) {
        this.cgroup = cgroup;
        this.capacity = capacity;
        this.supervisor = supervisor;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "unum-capacity");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Creates the agent's cgroup, writes the capacity into it and starts keeping the supervised
     * processes there. The cgroup is named after the node and its state dir, so two clusters on
     * one machine never share one, and an agent restarted on the same state dir finds its own.
     * Its directories are listed in {@code <state-dir>/cgroups} for whoever tears the node down.
     *
     * @throws IOException when cgroups cannot be used here (not root, no cgroup file system)
     */
    public static CapacityEnforcer start(String node, Path stateDir, Capacity capacity, ProcessSupervisor supervisor)
            throws IOException {
        NodeCgroup cgroup = NodeCgroup.create(CgroupMounts.read(), node + "-" + shortHash(stateDir.toString()), capacity);
        Files.write(stateDir.resolve("cgroups"), cgroup.directories().stream().map(Path::toString).toList(),
                StandardCharsets.UTF_8);
        CapacityEnforcer enforcer = new CapacityEnforcer(cgroup, capacity, supervisor);
        enforcer.ticker.scheduleWithFixedDelay(enforcer::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
        LOG.info("capacity " + capacity.cpus() + " cores, " + capacity.memoryBytes() + " bytes enforced with "
                + cgroup.enforcement() + " in " + cgroup.directories());
        return enforcer;
    }

    /** "cgroup-v1" or "cgroup-v2". */
    public String enforcement() {
        return cgroup.enforcement();
    }

    /** The node's load as its heartbeat reports it: the cgroup's, within the capacity. */
    public synchronized NodeLoadProbe.Sample sample() {
        NodeLoadProbe.Sample machineSample = machine.sample();
        double load = runnable.stream().mapToInt(Integer::intValue).average().orElse(0);
        long now = System.nanoTime();
        long cpu = cgroup.cpuNanos();
        double cores = capacity.cpus() > 0 ? capacity.cpus() : Runtime.getRuntime().availableProcessors();
        double cpuPercent = 0;
        if (lastCpuNanos >= 0 && now > lastSampleNanos) {
            cpuPercent = Math.min(100, Math.max(0, 100.0 * (cpu - lastCpuNanos) / ((now - lastSampleNanos) * cores)));
        }
        lastCpuNanos = cpu;
        lastSampleNanos = now;
        long free = machineSample.memoryFreeBytes();
        if (capacity.memoryBytes() > 0) {
            free = Math.min(free, Math.max(0, capacity.memoryBytes() - cgroup.memoryBytes()));
        }
        return new NodeLoadProbe.Sample(load, cpuPercent, free);
    }

    private void tick() {
        try {
            adoptNewTrees();
            int count = 0;
            for (long tid : cgroup.threads()) {
                Optional<String[]> stat = ProcFs.statFields((int) tid);
                if (stat.isPresent() && (stat.get()[0].equals("R") || stat.get()[0].equals("D"))) {
                    count++;
                }
            }
            synchronized (this) {
                runnable.addLast(count);
                while (runnable.size() > WINDOW_TICKS) {
                    runnable.removeFirst();
                }
            }
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "capacity tick failed: " + t, t);
        }
    }

    private void adoptNewTrees() {
        Map<Integer, List<Integer>> current = new HashMap<>();
        for (ProcessView v : supervisor.list()) {
            if (v.running()) {
                current.put(v.gpid(), List.of(shimPid(v.gpid()).orElse(0), v.localPid()));
            }
        }
        adopted.keySet().retainAll(current.keySet());
        current.forEach((gpid, pids) -> {
            if (!pids.equals(adopted.get(gpid))) {
                pids.stream().filter(p -> p > 0).forEach(this::adoptTree);
                adopted.put(gpid, pids);
            }
        });
    }

    private Optional<Integer> shimPid(int gpid) {
        // shim.pid is one of the files unum-shim documents in its process directory.
        return supervisor.procDir(gpid).flatMap(d -> {
            try {
                return Optional.of(Integer.parseInt(Files.readString(d.dir().resolve("shim.pid")).trim()));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    /** Moves {@code root} and all its descendants in, parent first, until a pass finds nothing new. */
    void adoptTree(int root) {
        Set<Integer> moved = new HashSet<>();
        for (int pass = 0; pass < 10; pass++) {
            Map<Integer, List<Integer>> children = childrenByParent();
            Deque<Integer> todo = new ArrayDeque<>(List.of(root));
            int movedThisPass = 0;
            while (!todo.isEmpty()) {
                int pid = todo.removeFirst();
                if (moved.add(pid)) {
                    movedThisPass++;
                    try {
                        cgroup.add(pid);
                    } catch (IOException e) {
                        LOG.fine(() -> "pid " + pid + " not moved (gone?): " + e.getMessage());
                    }
                }
                todo.addAll(children.getOrDefault(pid, List.of()));
            }
            if (movedThisPass == 0) {
                return;
            }
        }
    }

    private static Map<Integer, List<Integer>> childrenByParent() {
        Map<Integer, List<Integer>> children = new HashMap<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : proc) {
                int pid = Integer.parseInt(p.getFileName().toString());
                ProcFs.statFields(pid).ifPresent(f -> children.computeIfAbsent(Integer.parseInt(f[1]),
                        k -> new ArrayList<>()).add(pid));
            }
        } catch (IOException e) {
            LOG.warning("cannot list /proc: " + e.getMessage());
        }
        return children;
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        // The cgroup stays: the processes outlive the agent and must stay within the capacity.
        ticker.shutdownNow();
    }
}
