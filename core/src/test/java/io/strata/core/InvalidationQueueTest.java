package io.strata.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InvalidationQueueTest {
    @Test
    void inodeNoticesMergeIntoOneWideningRange() throws Exception {
        InvalidationQueue q = new InvalidationQueue(16);
        q.inode(5, 100, 10);
        q.inode(5, 0, 20);
        q.inode(5, -1, 0); // attributes only: covered by the data notice
        assertEquals(1, q.size());
        InvalidationQueue.Note n = q.poll(0, TimeUnit.MILLISECONDS);
        assertEquals(new InvalidationQueue.Note(InvalidationQueue.INODE, 5, 0, 110, null), n);
        q.inode(6, 10, 10);
        q.inode(6, 50, 0); // to EOF
        n = q.poll(0, TimeUnit.MILLISECONDS);
        assertEquals(10, n.b());
        assertEquals(0, n.c());
    }

    @Test
    void boundedAndCounted() throws Exception {
        InvalidationQueue q = new InvalidationQueue(2);
        q.inode(1, -1, 0);
        q.entry(1, Name.of("a"));
        q.entry(1, Name.of("b"));
        q.inode(1, 0, 0); // merges, not dropped
        assertEquals(2, q.size());
        assertEquals(1, q.takeDropped());
        assertEquals(0, q.takeDropped());
    }

    @Test
    void deleteSupersedesEntryForTheSameName() throws Exception {
        InvalidationQueue q = new InvalidationQueue(8);
        q.entry(1, Name.of("a"));
        q.delete(1, 9, Name.of("a"));
        assertEquals(1, q.size());
        assertEquals(InvalidationQueue.DELETE, q.poll(0, TimeUnit.MILLISECONDS).kind());
        assertNull(q.poll(1, TimeUnit.MILLISECONDS));
    }
}
