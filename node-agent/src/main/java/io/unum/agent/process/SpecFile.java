package io.unum.agent.process;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Encodes the spec unum-shim reads: NUL-terminated fields, so the C side needs no parser
 * beyond memchr. Layout: "unum-spec-1", output limit, cwd, user, argc, argv..., envc, env...
 */
final class SpecFile {

    static final String VERSION = "unum-spec-1";

    private SpecFile() {
    }

    static byte[] encode(LaunchPlan plan, long outputLimit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, VERSION);
        field(out, Long.toString(outputLimit));
        field(out, plan.cwd());
        field(out, plan.user());
        field(out, Integer.toString(plan.argv().size()));
        plan.argv().forEach(a -> field(out, a));
        field(out, Integer.toString(plan.env().size()));
        for (Map.Entry<String, String> e : plan.env().entrySet()) {
            field(out, e.getKey() + "=" + e.getValue());
        }
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
