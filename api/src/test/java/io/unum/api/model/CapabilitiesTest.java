package io.unum.api.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    private static final Capabilities ROOT = new Capabilities(
            CapabilitySet.of(Capability.CAN_MIGRATE),
            CapabilitySet.ALL,
            CapabilitySet.of(Capability.CAN_MIGRATE, Capability.CHECKPOINTABLE),
            CapabilitySet.of(Capability.CAN_MIGRATE, Capability.CHECKPOINTABLE, Capability.DISTANT_FORK));

    @Test
    void parsesKrgcapsetSyntax() {
        CapabilityChange change = CapabilityChange.parse("+CAN_MIGRATE, -checkpointable,DISTANT_FORK");
        assertEquals(CapabilitySet.of(Capability.CAN_MIGRATE, Capability.DISTANT_FORK), change.added());
        assertEquals(CapabilitySet.of(Capability.CHECKPOINTABLE), change.removed());
    }

    @Test
    void unknownCapabilityNamesTheCulpritAndTheValidNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CapabilityChange.parse("+CAN_FLY"));
        assertTrue(e.getMessage().contains("CAN_FLY"), e.getMessage());
        assertTrue(e.getMessage().contains("CAN_MIGRATE"), e.getMessage());
    }

    @Test
    void childInheritsByKerrighedsRule() {
        Capabilities child = Capabilities.inheritedFrom(ROOT);
        assertEquals(ROOT.inheritablePermitted(), child.permitted());
        assertEquals(CapabilitySet.of(Capability.CAN_MIGRATE, Capability.CHECKPOINTABLE), child.effective());
    }

    @Test
    void droppedPermittedBitNeverComesBackThroughGenerations() {
        Capabilities parent = ROOT.apply(CapabilityChange.NONE, CapabilityChange.parse("-CHECKPOINTABLE"),
                CapabilityChange.NONE, CapabilityChange.NONE, false);
        Capabilities grandchild = Capabilities.inheritedFrom(Capabilities.inheritedFrom(parent));
        assertFalse(grandchild.permitted().contains(Capability.CHECKPOINTABLE));
        assertFalse(grandchild.effective().contains(Capability.CHECKPOINTABLE));
        assertThrows(CapabilityRuleException.class, () -> grandchild.apply(CapabilityChange.NONE,
                CapabilityChange.parse("+CHECKPOINTABLE"), CapabilityChange.NONE, CapabilityChange.NONE, false));
        Capabilities forced = grandchild.apply(CapabilityChange.NONE, CapabilityChange.parse("+CHECKPOINTABLE"),
                CapabilityChange.NONE, CapabilityChange.NONE, true);
        assertTrue(forced.permitted().contains(Capability.CHECKPOINTABLE));
    }

    @Test
    void effectiveCannotExceedPermitted() {
        Capabilities narrow = new Capabilities(CapabilitySet.NONE, CapabilitySet.of(Capability.CAN_MIGRATE),
                CapabilitySet.NONE, CapabilitySet.NONE);
        assertThrows(CapabilityRuleException.class, () -> narrow.apply(CapabilityChange.parse("+CHECKPOINTABLE"),
                CapabilityChange.NONE, CapabilityChange.NONE, CapabilityChange.NONE, false));
        Capabilities raised = narrow.apply(CapabilityChange.parse("+CAN_MIGRATE"),
                CapabilityChange.NONE, CapabilityChange.NONE, CapabilityChange.NONE, false);
        assertEquals(CapabilitySet.of(Capability.CAN_MIGRATE), raised.effective());
    }

    @Test
    void signalsParseNamesAndNumbers() {
        assertEquals(15, Signals.parse("TERM").orElseThrow());
        assertEquals(9, Signals.parse("sigkill").orElseThrow());
        assertEquals(10, Signals.parse("10").orElseThrow());
        assertTrue(Signals.parse("FOO").isEmpty());
        assertTrue(Signals.parse("0").isEmpty());
        assertEquals("USR1", Signals.name(10));
    }
}
