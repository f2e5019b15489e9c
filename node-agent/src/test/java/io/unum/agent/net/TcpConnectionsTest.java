package io.unum.agent.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpConnectionsTest {
    @Test
    void addressesAreReadInHostByteOrderPerWord() {
        assertEquals("127.0.0.1:7788", TcpConnections.address("0100007F:1E6C"));
        assertEquals("[0:0:0:0:0:0:0:1]:80", TcpConnections.address("00000000000000000000000001000000:0050"));
        assertEquals("127.0.0.1:80", TcpConnections.address("0000000000000000FFFF00000100007F:0050"), "IPv4-mapped");
    }

    @Test
    void aConnectionOfThisProcessIsFoundAndItsListeningSocketIsNot() throws IOException {
        int self = (int) ProcessHandle.current().pid();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            List<String> mine = TcpConnections.heldByTree(self);
            String port = ":" + server.getLocalPort();
            assertTrue(mine.stream().anyMatch(c -> c.endsWith(" -> 127.0.0.1" + port)), mine.toString());
            assertTrue(mine.stream().anyMatch(c -> c.startsWith("127.0.0.1" + port + " -> ")), mine.toString());
            assertTrue(mine.stream().noneMatch(c -> c.contains("0.0.0.0:0")), "the listening socket has no peer: " + mine);
        }
    }
}
