package io.unum.agent.process;

import io.unum.agent.files.PrivateFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The only writer of what unum-shim reads from a proc-dir: the spec of a fresh start, and for
 * {@code unum-shim -r} the spec, output segments and restore file an image brought along.
 * NUL-terminated fields, so the C side needs no parser beyond memchr.
 */
final class ShimInputs {

    /** Layout: "unum-spec-2", output limit, cwd, user, uid, gid, no-new-privs (0/1), argc, argv..., envc, env... */
    static final String SPEC_VERSION = "unum-spec-2";
    /** Layout: "unum-restore-1", stdout offset, stderr offset, argc, the criu restore command... */
    static final String RESTORE_VERSION = "unum-restore-1";

    private ShimInputs() {
    }

    static void writeSpec(ProcDir dir, LaunchPlan plan, long outputLimit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, SPEC_VERSION);
        field(out, Long.toString(outputLimit));
        field(out, plan.cwd());
        field(out, plan.user());
        field(out, Integer.toString(plan.uid()));
        field(out, Integer.toString(plan.gid()));
        field(out, plan.noNewPrivs() ? "1" : "0");
        field(out, Integer.toString(plan.argv().size()));
        plan.argv().forEach(a -> field(out, a));
        field(out, Integer.toString(plan.env().size()));
        for (Map.Entry<String, String> e : plan.env().entrySet()) {
            field(out, e.getKey() + "=" + e.getValue());
        }
        PrivateFiles.write(dir.spec(), out.toByteArray());
    }

    /** The spec and output segments a dump exported, so the output continues at the same offsets. */
    static void importImage(ProcDir dir, Path spec, Path outputDir) throws IOException {
        PrivateFiles.copy(spec, dir.spec());
        try (Stream<Path> files = Files.list(outputDir)) {
            for (Path f : files.toList()) {
                PrivateFiles.copy(f, dir.dir().resolve(f.getFileName()));
            }
        }
    }

    static void writeRestore(ProcDir dir, long stdoutOffset, long stderrOffset, List<String> criuRestore)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, RESTORE_VERSION);
        field(out, Long.toString(stdoutOffset));
        field(out, Long.toString(stderrOffset));
        field(out, Integer.toString(criuRestore.size()));
        criuRestore.forEach(a -> field(out, a));
        PrivateFiles.write(dir.restoreFile(), out.toByteArray());
    }

    private static void field(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
