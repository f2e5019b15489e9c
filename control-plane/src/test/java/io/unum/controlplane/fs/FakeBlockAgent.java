package io.unum.controlplane.fs;

import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.unum.api.fs.FsPath;
import io.unum.api.grpc.FsBlockServiceGrpc;
import io.unum.api.grpc.ReadFileRequest;
import io.unum.api.grpc.ReadFileResponse;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.grpc.WriteFileResponse;
import io.unum.api.model.FsEntryType;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Identity;
import io.unum.pki.Keys;
import io.unum.pki.Pem;
import io.unum.testing.ClusterPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A node agent's FsBlockService as far as the public API uses it, over mutual TLS with an agent
 * certificate of the test's cluster CA: WriteFile counts and hashes the bytes and records the file
 * in the metadata (as the real agent does through FsMetadataService); ReadFile sends a file's size
 * in a byte pattern, in 1 MiB messages.
 */
final class FakeBlockAgent implements AutoCloseable {
    final AtomicLong received = new AtomicLong();
    volatile String receivedSha256;
    volatile String lastPath;
    final java.util.List<io.unum.api.grpc.CopyBlockRequest> copies = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Server server;

    FakeBlockAgent(ClusterPki pki, String node, Supplier<FsTree> tree, Supplier<FsBlocks> blocks) {
        Path dir = pki.dir();
        Path cert = dir.resolve(node + ".crt");
        Path key = dir.resolve(node + ".key");
        KeyPair pair = Keys.generate();
        Pem.write(key, Pem.privateKey(pair.getPrivate()));
        Pem.write(cert, Pem.certificate(CertificateAuthority.load(pki.caCert(), pki.caKey())
                .issue(Identity.agent(node), pair.getPublic(), List.of("127.0.0.1", "localhost"), Duration.ofDays(1))));
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                    TlsServerCredentials.newBuilder().keyManager(cert.toFile(), key.toFile()).trustManager(pki.caCert().toFile())
                            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build())
                    .addService(new FsBlockServiceGrpc.FsBlockServiceImplBase() {
                        @Override
                        public StreamObserver<WriteFileRequest> writeFile(StreamObserver<WriteFileResponse> out) {
                            return new Writer(out, tree, blocks);
                        }

                        @Override
                        public void copyBlock(io.unum.api.grpc.CopyBlockRequest req,
                                StreamObserver<io.unum.api.grpc.CopyBlockResponse> out) {
                            copies.add(req);
                            out.onNext(io.unum.api.grpc.CopyBlockResponse.getDefaultInstance());
                            out.onCompleted();
                        }

                        @Override
                        public void readFile(ReadFileRequest req, StreamObserver<ReadFileResponse> out) {
                            long size = tree.get().lookup(FsPath.parse(req.getPath())).inode().size();
                            for (long sent = 0; sent < size; ) {
                                int n = (int) Math.min(1 << 20, size - sent);
                                out.onNext(ReadFileResponse.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(
                                        pattern(sent, n))).build());
                                sent += n;
                            }
                            out.onCompleted();
                        }
                    })
                    .build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    /** The bytes of the pattern at [offset, offset + n). */
    static byte[] pattern(long offset, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((offset + i) * 31 % 251);
        }
        return b;
    }

    private final class Writer implements StreamObserver<WriteFileRequest> {
        private final StreamObserver<WriteFileResponse> out;
        private final Supplier<FsTree> tree;
        private final Supplier<FsBlocks> blocks;
        private final MessageDigest sha;
        private String path;
        private long bytes;

        Writer(StreamObserver<WriteFileResponse> out, Supplier<FsTree> tree, Supplier<FsBlocks> blocks) {
            this.out = out;
            this.tree = tree;
            this.blocks = blocks;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void onNext(WriteFileRequest m) {
            if (m.hasHeader()) {
                path = m.getHeader().getPath();
            } else {
                bytes += m.getData().size();
                sha.update(m.getData().asReadOnlyByteBuffer());
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
            FsPath p = FsPath.parse(path);
            FsTree.Entry e;
            try {
                e = tree.get().lookup(p);
            } catch (FsFailure missing) {
                if (!p.parent().isRoot()) {
                    tree.get().makeDirectories(p.parent(), 0755, 0);
                }
                e = tree.get().create(p, FsEntryType.FILE, 0644, 0, 0, null, 0);
            }
            blocks.get().commit(e.inode().ino(), List.of(), bytes, 0);
            received.set(bytes);
            receivedSha256 = HexFormat.of().formatHex(sha.digest());
            lastPath = path;
            out.onNext(WriteFileResponse.getDefaultInstance());
            out.onCompleted();
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
