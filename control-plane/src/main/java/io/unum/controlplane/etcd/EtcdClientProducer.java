package io.unum.controlplane.etcd;

import io.etcd.jetcd.Client;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

@ApplicationScoped
public class EtcdClientProducer {
    @Produces
    @ApplicationScoped
    Client etcdClient(EtcdConfig config) {
        return Client.builder().endpoints(config.endpoints().toArray(String[]::new)).build();
    }

    void close(@Disposes Client client) {
        client.close();
    }
}
