// FAISS's IndexHNSWFlat on the index benchmark's vectors, one thread: the C++ peer Kindred is measured against.
//
// Built and run by IndexBenchmark (--faiss), or by hand:
//   g++ -O3 -march=native -fopenmp -o benchmarks/target/faiss_hnsw benchmarks/faiss/faiss_hnsw.cpp \
//       -lfaiss -lblas -llapack
//   faiss_hnsw build  INDEX_OUT BASE.fvecs l2|ip M EF_CONSTRUCTION
//   faiss_hnsw search INDEX QUERIES.fvecs TRUTH.ivecs EF[,EF...] [FILTER_PERCENT]
//
// Vectors are .fvecs (per vector: int32 dimensions, then the floats); the truth is .ivecs (int32 k, then ids).
// For cosine the caller writes unit vectors and asks for ip. FILTER_PERCENT keeps the ids whose hash
// (uint32(id * 2654435761) % 100) is below it, the rule the Java benchmark filters with, through an
// IDSelectorBitmap in SearchParametersHNSW. Prints one line per ef: "ef=E recall=R qps=Q", queries timed one
// call per query (as a service answers them), each ef for at least 0.4 s after a 2 s warm-up.
#include <faiss/IndexHNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::vector<float> read_fvecs(const char* path, int& dims, size_t& count) {
    FILE* f = std::fopen(path, "rb");
    if (!f) {
        std::perror(path);
        std::exit(2);
    }
    std::vector<float> data;
    count = 0;
    int d;
    while (std::fread(&d, sizeof(int), 1, f) == 1) {
        dims = d;
        size_t at = data.size();
        data.resize(at + d);
        if (std::fread(data.data() + at, sizeof(float), d, f) != static_cast<size_t>(d)) {
            std::fprintf(stderr, "%s: truncated\n", path);
            std::exit(2);
        }
        count++;
    }
    std::fclose(f);
    return data;
}

std::vector<std::vector<int>> read_ivecs(const char* path) {
    FILE* f = std::fopen(path, "rb");
    if (!f) {
        std::perror(path);
        std::exit(2);
    }
    std::vector<std::vector<int>> rows;
    int k;
    while (std::fread(&k, sizeof(int), 1, f) == 1) {
        std::vector<int> row(k);
        if (std::fread(row.data(), sizeof(int), k, f) != static_cast<size_t>(k)) {
            std::fprintf(stderr, "%s: truncated\n", path);
            std::exit(2);
        }
        rows.push_back(row);
    }
    std::fclose(f);
    return rows;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int build(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: faiss_hnsw build INDEX_OUT BASE.fvecs l2|ip M EF_CONSTRUCTION\n");
        return 2;
    }
    int dims = 0;
    size_t n = 0;
    std::vector<float> base = read_fvecs(argv[3], dims, n);
    faiss::MetricType metric = std::strcmp(argv[4], "ip") == 0 ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2;
    faiss::IndexHNSWFlat index(dims, std::atoi(argv[5]), metric);
    index.hnsw.efConstruction = std::atoi(argv[6]);
    auto start = Clock::now();
    index.add(n, base.data());
    double took = seconds_since(start);
    faiss::write_index(&index, argv[2]);
    std::printf("build_seconds=%.3f n=%zu dims=%d\n", took, n, dims);
    return 0;
}

int search(int argc, char** argv) {
    if (argc != 6 && argc != 7) {
        std::fprintf(stderr, "usage: faiss_hnsw search INDEX QUERIES.fvecs TRUTH.ivecs EF[,EF...] [FILTER_PERCENT]\n");
        return 2;
    }
    std::unique_ptr<faiss::Index> loaded(faiss::read_index(argv[2]));
    auto* index = dynamic_cast<faiss::IndexHNSW*>(loaded.get());
    int dims = 0;
    size_t nq = 0;
    std::vector<float> queries = read_fvecs(argv[3], dims, nq);
    std::vector<std::vector<int>> truth = read_ivecs(argv[4]);
    std::vector<int> efs;
    std::stringstream list(argv[5]);
    for (std::string item; std::getline(list, item, ',');) {
        efs.push_back(std::stoi(item));
    }
    std::vector<uint8_t> bitmap;
    std::unique_ptr<faiss::IDSelectorBitmap> selector;
    if (argc == 7) {
        uint32_t percent = static_cast<uint32_t>(std::atoi(argv[6]));
        size_t n = static_cast<size_t>(index->ntotal);
        bitmap.assign((n + 7) / 8, 0);
        for (size_t id = 0; id < n; id++) {
            if (static_cast<uint32_t>(static_cast<uint32_t>(id) * 2654435761u) % 100 < percent) {
                bitmap[id / 8] |= static_cast<uint8_t>(1u << (id % 8));
            }
        }
        selector.reset(new faiss::IDSelectorBitmap(bitmap.size(), bitmap.data()));
    }
    const int k = static_cast<int>(truth[0].size());
    std::vector<float> distances(k);
    std::vector<faiss::Index::idx_t> labels(k);
    faiss::SearchParametersHNSW params;
    params.sel = selector.get();
    auto run = [&](size_t q) { index->search(1, queries.data() + q * dims, k, distances.data(), labels.data(), &params); };
    index->hnsw.efSearch = 64;
    params.efSearch = 64;
    for (auto start = Clock::now(); seconds_since(start) < 2.0;) {
        for (size_t q = 0; q < nq; q++) {
            run(q);
        }
    }
    for (int ef : efs) {
        // FAISS 1.7.3 takes efSearch from the index, not from the search parameters (measured: the recall stayed
        // the same at every ef when only params.efSearch was set)
        index->hnsw.efSearch = ef;
        params.efSearch = ef;
        long hits = 0;
        auto start = Clock::now();
        for (size_t q = 0; q < nq; q++) {
            run(q);
            for (int i = 0; i < k; i++) {
                for (int t : truth[q]) {
                    if (labels[i] == t) {
                        hits++;
                        break;
                    }
                }
            }
        }
        size_t done = nq;
        while (seconds_since(start) < 0.4) {
            for (size_t q = 0; q < nq; q++) {
                run(q);
            }
            done += nq;
        }
        std::printf("ef=%d recall=%.5f qps=%.1f\n", ef, hits / static_cast<double>(nq * k), done / seconds_since(start));
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    omp_set_num_threads(1);
    if (argc > 1 && std::strcmp(argv[1], "build") == 0) {
        return build(argc, argv);
    }
    if (argc > 1 && std::strcmp(argv[1], "search") == 0) {
        return search(argc, argv);
    }
    std::fprintf(stderr, "usage: faiss_hnsw build|search ...\n");
    return 2;
}
