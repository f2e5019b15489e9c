package io.unum.cli;

import io.unum.api.model.Capabilities;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.CapabilityChange;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code unum caps}: show or change a process's capabilities, like Kerrighed's krgcapset. */
@Command(name = "caps",
        modelTransformer = ParserSettings.DashValuesArePositional.class,
        customSynopsis = {
            "unum caps GPID",
            "unum caps GPID [-e | -p | -i | -d] [+|-]CAP[,[+|-]CAP...] [--force]"
        },
        description = {
            "Show or change the capabilities of a process (like krgcapset).",
            "Without CHANGE, print the four sets; with it, change one set (effective by",
            "default) and print the result. CHANGE is a comma list of +CAP (raise) and",
            "-CAP (drop); a bare CAP raises. Capabilities: CAN_MIGRATE, DISTANT_FORK,",
            "CHECKPOINTABLE, USE_REMOTE_MEMORY, CHANGE_CAPS.",
            "Rules: effective ⊆ permitted, inheritable effective ⊆ inheritable",
            "permitted ⊆ permitted; a dropped permitted bit comes back only with",
            "--force (admin role)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  unum caps 42                                 show the sets",
            "  unum caps 42 +CAN_MIGRATE                    raise in the effective set",
            "  unum caps 42 -CHECKPOINTABLE                 drop from the effective set",
            "  unum caps 42 -i +CAN_MIGRATE,-DISTANT_FORK   change what children get",
            "  unum caps 42 -p +CHECKPOINTABLE --force      admin: give back a permitted bit"
        })
class CapsCommand extends ClientCommand {

    @Parameters(index = "0", paramLabel = "GPID", description = "the process")
    int gpid;

    @Parameters(index = "1", arity = "0..1", paramLabel = "CHANGE", description = "krgcapset change, e.g. +CAN_MIGRATE,-CHECKPOINTABLE")
    String change;

    @ArgGroup(exclusive = true)
    Target target;

    @Option(names = "--force", description = "admin override that may raise permitted bits")
    boolean force;

    /** Which set CHANGE applies to. */
    static final class Target {
        @Option(names = {"-e", "--effective"}, description = "change the effective set (default)")
        boolean effective;
        @Option(names = {"-p", "--permitted"}, description = "change the permitted set")
        boolean permitted;
        @Option(names = {"-i", "--inheritable-effective"}, description = "change the inheritable effective set")
        boolean inheritableEffective;
        @Option(names = {"-d", "--inheritable-permitted"}, description = "change the inheritable permitted set")
        boolean inheritablePermitted;
    }

    @Override
    protected int run() {
        CapabilitiesUpdate update = update(change, target, force);
        var client = client();
        Capabilities caps = update == null ? client.capabilities(gpid) : client.updateCapabilities(gpid, update);
        out().print(render(caps));
        out().flush();
        return 0;
    }

    /** The PATCH body, or null when nothing is to change; bad syntax is a usage error. */
    CapabilitiesUpdate update(String spec, Target which, boolean forced) {
        if (spec == null) {
            if (which != null || forced) {
                throw usage("missing the change, e.g. +CAN_MIGRATE or -CHECKPOINTABLE");
            }
            return null;
        }
        try {
            if (CapabilityChange.parse(spec).isEmpty()) {
                throw usage("empty capability change '" + spec + "'");
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Boolean f = forced ? Boolean.TRUE : null;
        if (which == null || which.effective) {
            return new CapabilitiesUpdate(spec, null, null, null, f);
        } else if (which.permitted) {
            return new CapabilitiesUpdate(null, spec, null, null, f);
        } else if (which.inheritableEffective) {
            return new CapabilitiesUpdate(null, null, spec, null, f);
        } else {
            return new CapabilitiesUpdate(null, null, null, spec, f);
        }
    }

    /** krgcapset-like: one line per set. */
    static String render(Capabilities c) {
        return "Effective: " + c.effective() + "\n"
                + "Permitted: " + c.permitted() + "\n"
                + "Inheritable Effective: " + c.inheritableEffective() + "\n"
                + "Inheritable Permitted: " + c.inheritablePermitted() + "\n";
    }
}
