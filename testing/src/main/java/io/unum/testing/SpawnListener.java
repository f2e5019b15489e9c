package io.unum.testing;

/**
 * Told about every OS process a launcher starts, as soon as it exists: {@code up} records them in
 * its pids file so that {@code down} finds them even if the launcher itself is killed mid-start.
 */
@FunctionalInterface
public interface SpawnListener {
    SpawnListener NONE = (role, name, process) -> { };

    /**
     * @param role {@code etcd}, {@code control-plane} or {@code agent}
     * @param name e.g. {@code control-plane-1}, {@code node-2}
     */
    void spawned(String role, String name, ProcessHandle process);
}
