package io.unum.cli;

import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;

/** Per-command picocli parser settings that annotations cannot express. */
final class ParserSettings {
    private ParserSettings() {
    }

    /**
     * Everything after the first positional parameter is positional too, so
     * {@code unum run ls -l} passes {@code -l} to {@code ls}.
     */
    static final class StopAtPositional implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            spec.parser().stopAtPositional(true);
            return spec;
        }
    }

    /**
     * An argument that looks like an option but is not one of the command's options is a
     * positional parameter, so {@code unum kill -KILL 7} and {@code unum caps 7 -CHECKPOINTABLE} work.
     */
    static final class DashValuesArePositional implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            spec.parser().unmatchedOptionsArePositionalParams(true);
            return spec;
        }
    }
}
