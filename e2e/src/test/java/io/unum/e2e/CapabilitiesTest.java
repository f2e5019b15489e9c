package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.Capabilities;
import io.unum.api.model.Capability;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Kerrighed's capability model, end to end. */
@Timeout(120)
class CapabilitiesTest extends ClusterTest {
    CapabilitiesTest() {
        super(2);
    }

    private ProcessInfo spawn(Integer parent, String node, String caps) {
        ProcessInfo p = api.spawn(new SpawnRequest(List.of("sleep", "300"), node, parent, null, null, null, caps));
        started.add(p.gpid());
        return p;
    }

    private Capabilities change(int gpid, Map<String, Object> update) {
        RawResponse reply = api.patch("/api/v1/processes/" + gpid + "/capabilities", update);
        assertEquals(200, reply.status(), reply.body());
        return reply.as(Capabilities.class);
    }

    @Test
    void threeGenerationsInheritByTheRule() {
        ProcessInfo grandparent = spawn(null, null, "+CAN_MIGRATE,+CHANGE_CAPS");
        assertTrue(grandparent.capabilities().effective().contains(Capability.CAN_MIGRATE));
        // Children may migrate and checkpoint; grandchildren lose CHECKPOINTABLE for good.
        change(grandparent.gpid(), Map.of("inheritableEffective", "+CAN_MIGRATE,+CHECKPOINTABLE",
                "inheritablePermitted", "-USE_REMOTE_MEMORY"));

        ProcessInfo parent = spawn(grandparent.gpid(), null, null);
        Capabilities pc = parent.capabilities();
        assertFalse(pc.permitted().contains(Capability.USE_REMOTE_MEMORY), "permitted = grandparent's inheritable-permitted");
        assertTrue(pc.effective().contains(Capability.CAN_MIGRATE), "effective = inheritable-effective ∩ permitted");
        assertTrue(pc.effective().contains(Capability.CHECKPOINTABLE));
        change(parent.gpid(), Map.of("inheritablePermitted", "-CHECKPOINTABLE"));

        ProcessInfo child = spawn(parent.gpid(), null, null);
        Capabilities cc = child.capabilities();
        assertFalse(cc.permitted().contains(Capability.CHECKPOINTABLE));
        assertFalse(cc.effective().contains(Capability.CHECKPOINTABLE));
        assertFalse(cc.permitted().contains(Capability.USE_REMOTE_MEMORY), "a bit dropped two generations up stays dropped");
        assertEquals(parent.gpid(), child.parentGpid());

        RawResponse raise = api.patch("/api/v1/processes/" + child.gpid() + "/capabilities", Map.of("permitted", "+CHECKPOINTABLE"));
        assertEquals(403, raise.status(), raise.body());
        assertTrue(raise.json().path("detail").asText().contains("CHECKPOINTABLE"));
        Capabilities forced = change(child.gpid(), Map.of("permitted", "+CHECKPOINTABLE", "force", true));
        assertTrue(forced.permitted().contains(Capability.CHECKPOINTABLE), "an admin may override");
        assertEquals(forced, api.process(child.gpid()).capabilities(), "the change is stored");
    }

    @Test
    void dropThenRaiseEffectiveWithinPermitted() {
        ProcessInfo p = spawn(null, null, "+CHANGE_CAPS");
        Capabilities dropped = change(p.gpid(), Map.of("effective", "-DISTANT_FORK,+CAN_MIGRATE"));
        assertFalse(dropped.effective().contains(Capability.DISTANT_FORK));
        assertTrue(dropped.effective().contains(Capability.CAN_MIGRATE));
        Capabilities viaGet = api.get("/api/v1/processes/" + p.gpid() + "/capabilities").as(Capabilities.class);
        assertEquals(dropped, viaGet);
    }

    @Test
    void raisingNeedsChangeCaps() {
        ProcessInfo p = spawn(null, null, null);
        RawResponse reply = api.patch("/api/v1/processes/" + p.gpid() + "/capabilities", Map.of("effective", "+CAN_MIGRATE"));
        assertEquals(403, reply.status(), reply.body());
        assertTrue(reply.json().path("detail").asText().contains("CHANGE_CAPS"));
    }

    @Test
    void withoutDistantForkChildrenStayOnTheParentsNode() {
        ProcessInfo parent = spawn(null, "node-1", "-DISTANT_FORK");
        for (int i = 0; i < 4; i++) {
            assertEquals("node-1", spawn(parent.gpid(), null, null).node());
        }
        RawResponse elsewhere = api.post("/api/v1/processes",
                new SpawnRequest(List.of("sleep", "300"), "node-2", parent.gpid(), null, null, null, null));
        assertEquals(409, elsewhere.status(), elsewhere.body());
        assertTrue(elsewhere.json().path("detail").asText().contains("DISTANT_FORK"));

        ProcessInfo roaming = spawn(null, "node-1", null);
        assertTrue(roaming.capabilities().effective().contains(Capability.DISTANT_FORK), "the default effective set has DISTANT_FORK");
        assertEquals("node-2", spawn(roaming.gpid(), "node-2", null).node());
    }
}
