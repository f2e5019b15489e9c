package io.unum.controlplane.process;

import io.unum.api.model.SpawnRequest;
import io.unum.controlplane.error.UnumException;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks what can be checked about a spawn request before anything is written: shape and
 * size of argv and env, absolute cwd, plausible user and group names. Whether the binary, cwd and
 * user exist is for the chosen node's agent to say.
 */
@ApplicationScoped
public class SpawnValidator {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}\\$?");

    private final ProcessConfig config;

    public SpawnValidator(ProcessConfig config) {
        this.config = config;
    }

    public void validate(SpawnRequest request) {
        if (request == null) {
            throw UnumException.invalidRequest("the request body is missing; send {\"argv\": [\"program\", \"arg\", ...]}");
        }
        List<String> argv = request.argv();
        if (argv == null || argv.isEmpty() || argv.get(0) == null || argv.get(0).isBlank()) {
            throw UnumException.invalidRequest("argv is empty; give the program and its arguments, e.g. [\"sleep\", \"60\"]");
        }
        if (argv.size() > config.maxArgs()) {
            throw UnumException.invalidRequest("argv has " + argv.size() + " arguments; at most " + config.maxArgs() + " are allowed");
        }
        long argvBytes = 0;
        for (String arg : argv) {
            if (arg == null || arg.indexOf('\0') >= 0) {
                throw UnumException.invalidRequest("argv holds a null or an argument with a NUL byte");
            }
            argvBytes += arg.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        if (argvBytes > config.maxArgvBytes()) {
            throw UnumException.invalidRequest("argv is " + argvBytes + " bytes; at most " + config.maxArgvBytes() + " are allowed");
        }
        validateEnv(request.env());
        if (request.cwd() != null) {
            validateCwd(request.cwd());
        }
        if (request.user() != null && !USER.matcher(request.user()).matches()) {
            throw UnumException.invalidRequest("user '" + request.user() + "' is not a valid Unix user name");
        }
        if (request.group() != null && !USER.matcher(request.group()).matches()) {
            throw UnumException.invalidRequest("group '" + request.group() + "' is not a valid group name "
                    + "(lower-case letters, digits, '_' and '-', at most 32)");
        }
    }

    private void validateEnv(Map<String, String> env) {
        if (env == null) {
            return;
        }
        if (env.size() > config.maxEnvVars()) {
            throw UnumException.invalidRequest("env has " + env.size() + " variables; at most " + config.maxEnvVars() + " are allowed");
        }
        long bytes = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey() == null || !ENV_NAME.matcher(e.getKey()).matches()) {
                throw UnumException.invalidRequest("env name '" + e.getKey() + "' is not valid; use letters, digits and '_'");
            }
            if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
                throw UnumException.invalidRequest("env value of " + e.getKey() + " is null or holds a NUL byte");
            }
            bytes += e.getKey().length() + e.getValue().getBytes(StandardCharsets.UTF_8).length + 2;
        }
        if (bytes > config.maxEnvBytes()) {
            throw UnumException.invalidRequest("env is " + bytes + " bytes; at most " + config.maxEnvBytes() + " are allowed");
        }
    }

    private static void validateCwd(String cwd) {
        if (cwd.indexOf('\0') >= 0 || !cwd.startsWith("/")) {
            throw UnumException.invalidRequest("cwd '" + cwd + "' must be an absolute path");
        }
        if (!Path.of(cwd).normalize().toString().equals(cwd.length() > 1 && cwd.endsWith("/")
                ? cwd.substring(0, cwd.length() - 1) : cwd)) {
            throw UnumException.invalidRequest("cwd '" + cwd + "' must be a normalized path (no '.', '..' or '//')");
        }
    }
}
