package io.unum.testing;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the Unum source tree and its built jars are. The root is the first directory, walking up
 * from the current directory and then from the location of these classes, that holds {@code mvnw}
 * and {@code control-plane/}; the system property {@value #REPO_PROPERTY} overrides the search.
 */
public final class RepoLayout {
    public static final String REPO_PROPERTY = "unum.repo";
    /** Overrides the control-plane jar (default {@code control-plane/target/quarkus-app/quarkus-run.jar}). */
    public static final String CONTROL_PLANE_JAR_PROPERTY = "unum.control-plane.jar";
    /** Overrides the agent jar (default {@code node-agent/target/unum-agent.jar}). */
    public static final String AGENT_JAR_PROPERTY = "unum.agent.jar";
    static final String BUILD_HINT = "./mvnw -q -DskipTests install";

    private final Path root;

    private RepoLayout(Path root) {
        this.root = root;
    }

    /** Finds the repository root, or fails saying where it looked. */
    public static RepoLayout locate() {
        String override = System.getProperty(REPO_PROPERTY);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath().normalize();
            if (!isRoot(p)) {
                throw new IllegalStateException("-D" + REPO_PROPERTY + "=" + override
                        + " is not the Unum repository (no mvnw and control-plane/ there)");
            }
            return new RepoLayout(p);
        }
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of("").toAbsolutePath());
        codeLocation().ifPresent(starts::add);
        for (Path start : starts) {
            for (Path p = start.normalize(); p != null; p = p.getParent()) {
                if (isRoot(p)) {
                    return new RepoLayout(p);
                }
            }
        }
        throw new IllegalStateException("cannot find the Unum repository (a directory with mvnw and control-plane/) above "
                + starts + "; run from inside the repository or set -D" + REPO_PROPERTY + "=<path>");
    }

    /** A layout rooted at {@code root}, without checks (for tests). */
    public static RepoLayout at(Path root) {
        return new RepoLayout(root.toAbsolutePath().normalize());
    }

    public Path root() {
        return root;
    }

    /** The control plane's runnable jar; fails with the build command if it is missing. */
    public Path controlPlaneJar() {
        return requireJar(CONTROL_PLANE_JAR_PROPERTY, root.resolve("control-plane/target/quarkus-app/quarkus-run.jar"));
    }

    /** The node agent's fat jar; fails with the build command if it is missing. */
    public Path agentJar() {
        return requireJar(AGENT_JAR_PROPERTY, root.resolve("node-agent/target/unum-agent.jar"));
    }

    /**
     * The CRIU that scripts/install-criu.sh built into {@code .tools/criu/bin/criu}, if it did;
     * otherwise agents look for criu on their PATH.
     */
    public java.util.Optional<Path> criu() {
        Path built = root.resolve(".tools/criu/bin/criu");
        return Files.isExecutable(built) ? java.util.Optional.of(built) : java.util.Optional.empty();
    }

    private Path requireJar(String property, Path defaultPath) {
        String override = System.getProperty(property);
        Path jar = override == null || override.isBlank() ? defaultPath : Path.of(override);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build it first with `" + BUILD_HINT + "` in " + root);
        }
        return jar;
    }

    private static boolean isRoot(Path p) {
        return Files.isRegularFile(p.resolve("mvnw")) && Files.isDirectory(p.resolve("control-plane"));
    }

    private static java.util.Optional<Path> codeLocation() {
        try {
            CodeSource cs = RepoLayout.class.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(Path.of(cs.getLocation().toURI()).toAbsolutePath());
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return java.util.Optional.empty();
        }
    }
}
