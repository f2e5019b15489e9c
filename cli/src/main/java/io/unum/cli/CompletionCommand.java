package io.unum.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code unum completion bash|zsh}: the shell completion script picocli generates from the command model. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Print a shell completion script for unum (its commands and options).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  source <(unum completion bash)      in this shell; add the line to ~/.bashrc to keep it",
            "  source <(unum completion zsh)       the same in zsh (bash completion emulation)"
        })
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh")
    String shell;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("unum", spec.root().commandLine());
        switch (shell) {
            case "bash" -> spec.commandLine().getOut().print(script);
            // picocli's script is for bash; zsh runs it through its bash completion emulation.
            case "zsh" -> spec.commandLine().getOut().print("autoload -U +X compinit && compinit\n"
                    + "autoload -U +X bashcompinit && bashcompinit\n" + script);
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown shell '" + shell + "': choose bash or zsh");
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
