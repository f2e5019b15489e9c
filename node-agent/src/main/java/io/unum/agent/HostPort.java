package io.unum.agent;

/** "host:port", with IPv6 literals as "[::1]:port". */
public record HostPort(String host, int port) {

    public static HostPort parse(String s) {
        String t = s.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "'");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + s + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range in '" + s + "'");
        }
        return new HostPort(host, port);
    }

    public boolean isWildcard() {
        return host.equals("0.0.0.0") || host.equals("::") || host.isEmpty();
    }

    public HostPort withPort(int newPort) {
        return new HostPort(host, newPort);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
