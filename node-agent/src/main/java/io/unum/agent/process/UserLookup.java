package io.unum.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds Unix accounts. /etc/passwd is read directly because it is fast (a spawn should cost a
 * few ms); {@code getent passwd} is the fallback so NSS accounts (LDAP, sssd) work too.
 */
final class UserLookup {

    record Account(String name, int uid, int gid, String home) {
    }

    private final Path passwd;

    UserLookup() {
        this(Path.of("/etc/passwd"));
    }

    UserLookup(Path passwd) {
        this.passwd = passwd;
    }

    Optional<Account> find(String name) {
        if (name.isEmpty() || name.contains(":") || name.contains("\n") || name.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        try {
            for (String line : Files.readAllLines(passwd, StandardCharsets.UTF_8)) {
                Optional<Account> a = parse(line);
                if (a.isPresent() && a.get().name().equals(name)) {
                    return a;
                }
            }
        } catch (IOException e) {
            // fall through to getent
        }
        return getent(name);
    }

    private static Optional<Account> getent(String name) {
        for (String bin : List.of("/usr/bin/getent", "/bin/getent")) {
            if (!Files.isExecutable(Path.of(bin))) {
                continue;
            }
            try {
                Process p = new ProcessBuilder(bin, "passwd", name).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return Optional.empty();
                }
                return p.exitValue() == 0 ? parse(out.trim()) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static Optional<Account> parse(String line) {
        String[] f = line.split(":", -1);
        if (f.length < 7) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Account(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[5]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
