package io.strata.ninep.client;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.ninep.client.NinepClientOptions.CacheMode;
import io.strata.ninep.wire.P9;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NinepClientOptionsTest {

    @Test
    void parsesEveryOption() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cache", "shared");
        m.put("aname", "/srv/x");
        m.put("msize", "65536");
        m.put("uname", "nobody");
        m.put("timeout", "5");
        NinepClientOptions o = NinepClientOptions.parse(m);
        assertEquals(CacheMode.SHARED, o.cache());
        assertEquals("/srv/x", o.aname());
        assertEquals(65536, o.msize());
        assertEquals("nobody", o.uname());
        assertEquals(Duration.ofSeconds(5), o.timeout());
        assertEquals(CacheMode.WRITETHROUGH, NinepClientOptions.parse(Map.of("cache", "writethrough")).cache());
    }

    @Test
    void emptyGivesDefaults() {
        assertEquals(NinepClientOptions.defaults(), NinepClientOptions.parse(Map.of()));
        assertEquals(CacheMode.EXCLUSIVE, NinepClientOptions.defaults().cache());
    }

    @Test
    void badValuesAreRefusedWithTheOptionName() {
        assertTrue(refusal(Map.of("cache", "loose")).contains("cache=loose"));
        assertTrue(refusal(Map.of("msize", "12x")).contains("msize"));
        assertTrue(refusal(Map.of("msize", "100")).contains("msize=100"));
        assertTrue(refusal(Map.of("timeout", "0")).contains("timeout"));
        assertTrue(refusal(Map.of("uname", "")).contains("uname"));
        assertTrue(refusal(Map.of("bogus", "1")).contains("bogus"));
    }

    @Test
    void statsCountByTypeAndOperation() {
        RpcStats s = new RpcStats();
        s.sent(P9.TWALK);
        s.sent(P9.TWALK);
        s.sent(P9.TWALKGETATTR);
        s.operation("lookup");
        assertEquals(2, s.sent("Twalk"));
        assertEquals(1, s.sent("Twalkgetattr"));
        assertEquals(0, s.sent("Tread"));
        assertEquals(3, s.total());
        assertEquals(1, s.operations("lookup"));
        assertEquals("rpcs: Twalk=2 Twalkgetattr=1 total=3\nops: lookup=1", s.toText());
        assertEquals("Tlopen", RpcStats.name(P9.TLOPEN));
        assertEquals("T9", RpcStats.name(9));
    }

    private static String refusal(Map<String, String> m) {
        return assertThrows(IllegalArgumentException.class, () -> NinepClientOptions.parse(m)).getMessage();
    }
}
