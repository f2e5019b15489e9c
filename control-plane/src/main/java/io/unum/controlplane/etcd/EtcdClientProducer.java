package io.unum.controlplane.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.io.File;
import javax.net.ssl.SSLException;

@ApplicationScoped
public class EtcdClientProducer {
    @Produces
    @ApplicationScoped
    Client etcdClient(EtcdConfig config) throws SSLException {
        ClientBuilder builder = Client.builder().endpoints(config.endpoints().toArray(String[]::new));
        EtcdConfig.Tls tls = config.tls();
        if (tls.caCert().isPresent() || tls.cert().isPresent()) {
            // etcd in production authenticates its clients by certificate: the control plane is its only client.
            builder.sslContext(ssl -> {
                tls.caCert().ifPresent(ca -> ssl.trustManager(new File(ca)));
                if (tls.cert().isPresent() && tls.key().isPresent()) {
                    ssl.keyManager(new File(tls.cert().get()), new File(tls.key().get()));
                }
            });
        }
        return builder.build();
    }

    void close(@Disposes Client client) {
        client.close();
    }
}
