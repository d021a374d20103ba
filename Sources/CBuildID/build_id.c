#define _GNU_SOURCE
#include <link.h>
#include <string.h>
#include "build_id.h"

struct search {
    ElfW(Addr) address;
    unsigned char *out;
    int capacity;
    int length;
    int found_image;
};

static size_t padded(size_t n) { return (n + 3) & ~(size_t)3; }

/// The NT_GNU_BUILD_ID note (type 3, name "GNU") among the notes at [notes, notes + size): each
/// note is namesz, descsz, type (32-bit words), then the name and the descriptor, each padded to 4.
static int build_id_in(const unsigned char *notes, size_t size, struct search *s) {
    size_t offset = 0;
    while (offset + 12 <= size) {
        ElfW(Word) name_size, descriptor_size, type;
        memcpy(&name_size, notes + offset, 4);
        memcpy(&descriptor_size, notes + offset + 4, 4);
        memcpy(&type, notes + offset + 8, 4);
        size_t name = offset + 12, descriptor = name + padded(name_size);
        if (descriptor + descriptor_size > size) return 0;
        if (type == NT_GNU_BUILD_ID && name_size == 4 && memcmp(notes + name, "GNU", 4) == 0) {
            int n = (int)descriptor_size < s->capacity ? (int)descriptor_size : s->capacity;
            memcpy(s->out, notes + descriptor, (size_t)n);
            s->length = n;
            return 1;
        }
        offset = descriptor + padded(descriptor_size);
    }
    return 0;
}

static int visit(struct dl_phdr_info *info, size_t info_size, void *data) {
    (void)info_size;
    struct search *s = data;
    int holds = 0;
    for (int i = 0; i < info->dlpi_phnum && !holds; i++) {
        const ElfW(Phdr) *h = &info->dlpi_phdr[i];
        ElfW(Addr) start = info->dlpi_addr + h->p_vaddr;
        holds = h->p_type == PT_LOAD && s->address >= start && s->address < start + h->p_memsz;
    }
    if (!holds) return 0;
    s->found_image = 1;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *h = &info->dlpi_phdr[i];
        if (h->p_type == PT_NOTE && build_id_in((const unsigned char *)(info->dlpi_addr + h->p_vaddr), h->p_memsz, s)) break;
    }
    return 1;
}

int hs_build_id(const void *address, unsigned char *out, int capacity) {
    struct search s = { (ElfW(Addr))address, out, capacity, 0, 0 };
    dl_iterate_phdr(visit, &s);
    return s.length;
}
