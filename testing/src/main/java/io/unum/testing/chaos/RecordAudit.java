package io.unum.testing.chaos;

import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.client.UnumClient;
import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The end of a chaos run, once every fault healed: each counter must be RUNNING (or LOST only on
 * a DOWN node), its record true (the one running copy on the host descends from the shim its
 * node's agent lists for that gpid), no migration left unfinished, and its stdout the numbers
 * 1, 2, 3, ... with no gap and no repeat.
 */
final class RecordAudit {
    private static final Duration SETTLE = Duration.ofSeconds(120);

    private final LocalCluster cluster;
    private final CopySampler sampler;
    private final ChaosReport report;

    RecordAudit(LocalCluster cluster, CopySampler sampler, ChaosReport report) {
        this.cluster = cluster;
        this.sampler = sampler;
        this.report = report;
    }

    /** Checks every counter; returns how many were lost. */
    int check(List<MigrationChaos.Counter> counters) {
        int lost = 0;
        for (MigrationChaos.Counter c : counters) {
            if (!checkOne(c)) {
                lost++;
            }
        }
        return lost;
    }

    /** False if the counter is lost. */
    private boolean checkOne(MigrationChaos.Counter c) {
        String who = "gpid " + c.gpid() + " (" + c.tag() + ")";
        Boolean settled = ChaosClock.poll(() -> cluster.liveApi().migrations(c.gpid()).stream()
                .allMatch(m -> m.state().isTerminal()) ? Boolean.TRUE : null, SETTLE);
        if (settled == null) {
            report.violation(who + ": a migration record is still not ended " + SETTLE.toSeconds() + " s after the last fault: "
                    + cluster.liveApi().migrations(c.gpid()).stream().filter(m -> !m.state().isTerminal()).toList());
        }
        ProcessInfo p = ChaosClock.poll(() -> {
            ProcessInfo r = cluster.liveApi().process(c.gpid());
            return r.state() == ProcessState.RUNNING || r.state().isTerminal() ? r : null;
        }, SETTLE);
        if (p == null || p.state() != ProcessState.RUNNING) {
            ProcessInfo last = ChaosClock.poll(() -> cluster.liveApi().process(c.gpid()), Duration.ofSeconds(10));
            boolean allowed = last != null && last.state() == ProcessState.LOST && "DOWN".equals(cluster.nodeStates().get(last.node()))
                    && !cluster.liveApi().checkpoints(c.gpid()).isEmpty();
            if (!allowed) {
                report.violation(who + " lost: its record is " + ChaosReport.describe(last) + "; copies on the host " + sampler.latest(c.tag()));
                return false;
            }
            return true;
        }
        try {
            checkRecordIsTrue(who, c, p);
            checkOutput(who, c);
        } catch (RuntimeException e) {
            // A finding, not the end of the audit: the other counters are still checked and the
            // report printed (seed 4423105513009956616 ended here with the 409 as an exception).
            report.violation(who + ": the audit could not read it: " + e.getMessage());
        }
        return true;
    }

    private void checkRecordIsTrue(String who, MigrationChaos.Counter c, ProcessInfo p) {
        sampler.awaitFreshSample();
        CopySampler.Copies copies = sampler.latest(c.tag());
        if (copies.running().size() != 1) {
            report.violation(who + ": record RUNNING on " + p.node() + " but " + copies.running().size()
                    + " running copies on the host " + copies);
            return;
        }
        if (!copies.stopped().isEmpty()) {
            report.violation(who + ": a stopped copy is left behind: " + copies);
        }
        long pid = copies.running().get(0);
        Optional<Long> shim = shimPid(p.node(), c.gpid());
        if (shim.isEmpty() || !descendsFrom(pid, shim.get())) {
            report.violation(who + ": record says " + p.node() + " but the running copy (pid " + pid + ") is not under "
                    + p.node() + "'s shim for it (" + shim.map(String::valueOf).orElse("none") + ")");
        }
        long before = TaggedCounter.lastNumber(stdout(cluster.liveApi(), c.gpid()).text());
        Long after = ChaosClock.poll(() -> {
            long n = TaggedCounter.lastNumber(stdout(cluster.liveApi(), c.gpid()).text());
            return n > before + 5 ? n : null;
        }, Duration.ofSeconds(20));
        if (after == null) {
            report.violation(who + ": RUNNING on " + p.node() + " but its output stopped at " + before);
        }
    }

    private void checkOutput(String who, MigrationChaos.Counter c) {
        Stdout out = stdout(cluster.liveApi(), c.gpid());
        if (out.gap() != null) {
            report.violation(who + ": output chunks " + out.gap());
        }
        TaggedCounter.problem(out.text(), out.offset()).ifPresent(problem -> report.violation(who + ": output " + problem));
        report.note(who + ": output " + out.text().lines().count() + " lines from offset " + out.offset());
    }

    private Optional<Long> shimPid(String node, int gpid) {
        Path file = cluster.agent(node).stateDir().resolve("processes").resolve(Integer.toString(gpid)).resolve("shim.pid");
        try {
            return Optional.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean descendsFrom(long pid, long ancestor) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        while (h.isPresent()) {
            if (h.get().pid() == ancestor) {
                return true;
            }
            h = h.get().parent();
        }
        return false;
    }

    /** A process's stdout as its node keeps it: where it starts, the text, and a hole between chunks if any. */
    record Stdout(long offset, String text, String gap) {
    }

    static Stdout stdout(UnumClient api, int gpid) {
        StringBuilder text = new StringBuilder();
        long start = -1;
        long next = -1;
        String gap = null;
        for (OutputChunk chunk : api.output(gpid, 0, 0)) {
            if (!"stdout".equals(chunk.stream())) {
                continue;
            }
            byte[] bytes = Base64.getDecoder().decode(chunk.data());
            if (start < 0) {
                start = chunk.offset();
            } else if (chunk.offset() != next && gap == null) {
                gap = "chunk at offset " + chunk.offset() + " after one ending at " + next;
            }
            next = chunk.offset() + bytes.length;
            text.append(new String(bytes, StandardCharsets.UTF_8));
        }
        return new Stdout(Math.max(0, start), text.toString(), gap);
    }
}
