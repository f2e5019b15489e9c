package io.unum.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where the CLI finds its control plane and token. Each value comes from the first of:
 * the command-line option, the environment ({@code UNUM_URL}, {@code UNUM_TOKEN}), the
 * properties file {@code ${XDG_CONFIG_HOME:-~/.config}/unum/cli.properties} (keys {@code url},
 * {@code token}, {@code ca-file}; {@code bin/unum-dev up} writes it), and for the URL the default
 * {@value #DEFAULT_URL}. The CA file (option, {@code UNUM_CA_FILE}, {@code ca-file}) is for a
 * control plane that serves HTTPS with a certificate of a private CA; null trusts the JDK's CAs.
 */
public record CliConfig(URI url, String token, Path caFile) {
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";

    /** Resolves the configuration; {@code configFile} may be missing. */
    public static CliConfig resolve(String urlOption, String tokenOption, String caFileOption, Map<String, String> env,
            Path configFile) {
        Properties file = load(configFile);
        String caFile = first(caFileOption, env.get("UNUM_CA_FILE"), file.getProperty("ca-file"), null);
        String url = first(urlOption, env.get("UNUM_URL"), file.getProperty("url"), DEFAULT_URL);
        String token = first(tokenOption, env.get("UNUM_TOKEN"), file.getProperty("token"), null);
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid control plane URL '" + url + "': " + e.getMessage(), e);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("invalid control plane URL '" + url
                    + "': expected http://HOST:PORT or https://HOST:PORT");
        }
        return new CliConfig(uri, token, caFile == null ? null : Path.of(caFile));
    }

    /** {@code ${XDG_CONFIG_HOME:-~/.config}/unum/cli.properties}. */
    public static Path defaultConfigFile(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg == null || xdg.isBlank()
                ? Path.of(System.getProperty("user.home"), ".config")
                : Path.of(xdg);
        return base.resolve("unum").resolve("cli.properties");
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        if (file != null && Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return p;
    }

    private static String first(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c.trim();
            }
        }
        return null;
    }
}
