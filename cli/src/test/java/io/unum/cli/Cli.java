package io.unum.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;

/** Runs {@code unum} in-process with an injected environment and captured output. */
final class Cli {

    /** What a run left behind; stdout/stderr hold both the writers' text and the raw bytes. */
    record Result(int exit, byte[] stdoutBytes, byte[] stderrBytes) {
        String out() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        String err() {
            return new String(stderrBytes, StandardCharsets.UTF_8);
        }
    }

    private final Map<String, String> env = new HashMap<>();
    private Path configFile = Path.of("/nonexistent/unum/cli.properties");

    static Cli against(FakeUnum fake) {
        return new Cli().env("UNUM_URL", fake.url()).env("UNUM_TOKEN", "s3cret");
    }

    Cli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Cli configFile(Path file) {
        configFile = file;
        return this;
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new UnumCommand(env, configFile, out, err));
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        int exit = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        return new Result(exit, out.toByteArray(), err.toByteArray());
    }
}
