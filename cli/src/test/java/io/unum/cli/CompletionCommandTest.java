package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionCommandTest {
    @Test
    void bashSourcesTheScriptAndCompletesSubcommands(@TempDir Path dir) throws Exception {
        Cli.Result r = new Cli().run("completion", "bash");
        assertEquals(0, r.exit(), r.err());
        Path script = Files.writeString(dir.resolve("unum.bash"), r.out());
        // A real bash sources it, registers the completion of unum, and offers the commands for "unum mi".
        // (compopt complains outside a real completion; its words on stderr are not looked at.)
        Process bash = new ProcessBuilder("bash", "-c", "source " + script + " && complete -p unum"
                + " && COMP_WORDS=(unum mi) && COMP_CWORD=1 && COMP_LINE='unum mi' && COMP_POINT=7"
                + "; $(complete -p unum | sed -E 's/.*-F ([^ ]+).*/\\1/') unum mi unum; printf '%s\\n' \"${COMPREPLY[@]}\"")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.waitFor(), out);
        assertTrue(out.contains("-F _complete_unum unum"), out);
        assertTrue(out.lines().anyMatch("migrate"::equals), "offers migrate for 'unum mi': " + out);
    }

    @Test
    void zshGetsTheBashEmulationFirst() {
        Cli.Result r = new Cli().run("completion", "zsh");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"), r.out());
    }

    @Test
    void anUnknownShellIsAUsageErrorThatNamesTheChoices() {
        Cli.Result r = new Cli().run("completion", "fish");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown shell 'fish': choose bash or zsh"), r.err());
        assertEquals("", r.out());
    }
}
