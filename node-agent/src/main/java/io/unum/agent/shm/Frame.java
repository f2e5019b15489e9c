package io.unum.agent.shm;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One message of the preload protocol (docs/design/shared-memory.md): a 16-byte header
 * {@code {u32 op; u32 len; u64 tag}} and len bytes of payload, little-endian.
 */
record Frame(int op, long tag, ByteBuffer payload) {
    static final int HELLO = 1;
    static final int HELLO_CALLBACKS = 2;
    static final int SHMGET = 3;
    static final int SHM_OPEN = 4;
    static final int SHM_UNLINK = 5;
    static final int ATTACH = 6;
    static final int ATTACHED = 7;
    static final int DETACH = 8;
    static final int RMID = 9;
    static final int STAT = 10;
    static final int TRUNCATE = 11;
    static final int FAULT = 12;
    static final int FAULT_DONE = 13;
    static final int PROTECT = 20;
    static final int PROTECT_DONE = 21;
    static final int SUSPEND = 22;
    static final int SUSPEND_DONE = 23;
    static final int RESULT = 100;
    static final int ATTACH_OK = 101;
    static final int STAT_OK = 102;

    /** A name or path is at most this long; a frame at most this big. */
    static final int MAX_PAYLOAD = 4096;

    static Frame read(SocketChannel ch) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, header);
        header.flip();
        int op = header.getInt();
        int len = header.getInt();
        long tag = header.getLong();
        if (len < 0 || len > MAX_PAYLOAD) {
            throw new IOException("a frame of " + Integer.toUnsignedString(len) + " bytes (at most " + MAX_PAYLOAD + ")");
        }
        ByteBuffer payload = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, payload);
        payload.flip();
        return new Frame(op, tag, payload);
    }

    private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("the process closed the connection");
            }
        }
    }

    static void write(SocketChannel ch, int op, long tag, ByteBuffer payload) throws IOException {
        payload.flip();
        ByteBuffer out = ByteBuffer.allocate(16 + payload.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(op).putInt(payload.remaining()).putLong(tag).put(payload).flip();
        while (out.hasRemaining()) {
            ch.write(out);
        }
    }

    static void result(SocketChannel ch, long tag, long value) throws IOException {
        write(ch, RESULT, tag, buffer(8).putLong(value));
    }

    static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The rest of the payload as text (names, paths). */
    String text() {
        byte[] b = new byte[payload.remaining()];
        payload.get(b);
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }
}
