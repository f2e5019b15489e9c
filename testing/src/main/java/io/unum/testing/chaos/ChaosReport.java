package io.unum.testing.chaos;

import io.unum.api.model.ProcessInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The figures of a chaos run and what it found wrong. Every message carries the seed, so that a
 * failing run can be repeated with {@code -Dunum.chaos.seed=<seed>}.
 */
public final class ChaosReport {
    private final long seed;
    private final Map<String, Integer> modes = new TreeMap<>();
    private final Map<String, Integer> faultsByRole = new TreeMap<>();
    private final Map<String, Integer> faultsByPhase = new TreeMap<>();
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private int migrations;
    private int lost;
    private int duplicated;
    private long sampleCount;
    private Map<String, Integer> stopped = Map.of();
    private long millis;

    ChaosReport(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    synchronized void migration(String mode, String outcome) {
        migrations++;
        modes.merge(mode, 1, Integer::sum);
        outcomes.merge(outcome, 1, Integer::sum);
    }

    synchronized void fault(String role, String phase) {
        faultsByRole.merge(role, 1, Integer::sum);
        faultsByPhase.merge(phase, 1, Integer::sum);
    }

    synchronized void end(int lostProcesses, int duplicateInstants, Map<String, Integer> stoppedCopies, long samples,
            long elapsedMillis) {
        stopped = new TreeMap<>(stoppedCopies);
        lost = lostProcesses;
        duplicated = duplicateInstants;
        sampleCount = samples;
        millis = elapsedMillis;
    }

    /** Something the run proves wrong: a loss, a second copy, a record that lies, a bad output. */
    void violation(String what) {
        violations.add(what);
        note("VIOLATION " + what);
    }

    /** One line of the run's story, printed as it happens. */
    void note(String line) {
        log.add(line);
        System.out.println("[chaos seed=" + seed + "] " + line);
    }

    public List<String> violations() {
        return List.copyOf(violations);
    }

    public synchronized int migrations() {
        return migrations;
    }

    public synchronized Map<String, Integer> outcomes() {
        return Map.copyOf(outcomes);
    }

    public synchronized Map<String, Integer> faultsByRole() {
        return Map.copyOf(faultsByRole);
    }

    /** A process record in a line: its state, where, and why it ended if it did (not its long argv). */
    static String describe(ProcessInfo p) {
        if (p == null) {
            return "no answer";
        }
        return "gpid " + p.gpid() + " " + p.state() + " on " + p.node() + " (local pid " + p.localPid() + ")"
                + (p.exitCode() == null ? "" : " exit code " + p.exitCode())
                + (p.exitSignal() == null ? "" : " signal " + p.exitSignal())
                + (p.reason() == null ? "" : ": " + p.reason());
    }

    /** The figures, then the violations; the seed first. */
    public synchronized String summary() {
        StringBuilder s = new StringBuilder();
        s.append("seed ").append(seed).append(" (re-run: -Dunum.chaos.seed=").append(seed).append(")\n");
        s.append("migrations ").append(migrations).append(" by mode ").append(modes).append('\n');
        s.append("faults by role ").append(faultsByRole).append('\n');
        s.append("faults by phase ").append(faultsByPhase).append('\n');
        s.append("outcomes ").append(outcomes).append('\n');
        s.append("lost ").append(lost).append(", duplicated instants ").append(duplicated)
                .append(", host samples ").append(sampleCount).append(", ").append(millis / 1000).append(" s\n");
        s.append("stopped (frozen) copies seen, most at once per counter ").append(stopped).append('\n');
        s.append("violations ").append(violations.size());
        violations.forEach(v -> s.append("\n  - ").append(v));
        return s.toString();
    }
}
