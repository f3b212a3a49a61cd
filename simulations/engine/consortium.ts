import { InvalidArgumentError } from '../../aggregation/errors.js';
import {
  HEART_DISEASE_SITES,
  loadBreastCancer,
  loadHeartDisease,
  applyStandardizer,
  concatenateRows,
  fitStandardizer,
  selectRows,
  standardize,
  stratifiedSplit,
  type TabularSplit,
} from '../../client-sdk/datasets/index.js';

const TEST_FRACTION = 0.25;
import { dealDirichlet } from '../data/dirichlet-split.js';
import { taggedSampler } from '../data/samplers.js';
import { syntheticConsortium } from '../data/synthetic-consortium.js';
import type { Scenario } from '../scenarios/schema.js';

/** One simulated hospital's data; subgroups index `Consortium.subgroupNames` per test row. */
export interface SimulatedSite {
  readonly name: string;
  readonly train: TabularSplit;
  readonly test: TabularSplit;
  readonly testSubgroups?: Uint8Array;
}

export interface Consortium {
  readonly sites: readonly SimulatedSite[];
  readonly features: number;
  readonly subgroupNames: readonly string[];
}

/**
 * The scenario's hospitals with their train/test splits, each standardised with its own training
 * statistics (no site sees another's data, not even its mean). The split depends on the data seed
 * only, so every defence and attack of a scenario sees the same hospitals.
 */
export function loadConsortium(data: Scenario['data'], dataDir: string, seed: number): Consortium {
  switch (data.kind) {
    case 'heart-disease': {
      const sites = HEART_DISEASE_SITES.map((site) => {
        const { train, test } = loadHeartDisease(dataDir, site);
        return { name: site, train, test };
      });
      return { sites, features: sites[0]!.train.features, subgroupNames: [] };
    }
    case 'breast-cancer': {
      const { data: table } = loadBreastCancer(dataDir);
      const dealt = dealDirichlet(table.y, {
        sites: data.sites,
        alpha: data.alpha,
        seed,
        ...(data.sizeSpread === undefined ? {} : { sizeSpread: data.sizeSpread }),
        ...(data.minRows === undefined ? {} : { minRows: data.minRows }),
      });
      const splitSeeds = taggedSampler(seed, 'breast-cancer/split');
      const raw = dealt.map((rows) => {
        const local = selectRows(table, rows);
        const split = stratifiedSplit(local.y, TEST_FRACTION, splitSeeds.uint32());
        return { train: selectRows(local, split.train), test: selectRows(local, split.test) };
      });
      // Under label skew a site's own mean mostly measures its class mix, so per-site standardisation
      // would scale the same tumour differently at every hospital. The federation standardises with
      // pooled statistics instead: one secure sum of each site's Σx and Σx² (modelled here directly).
      const pooled = fitStandardizer(concatenateRows(raw.map((r) => r.train)));
      const width = Math.max(2, String(dealt.length).length);
      const sites = raw.map((r, k) => ({
        name: `site-${String(k + 1).padStart(width, '0')}`,
        train: applyStandardizer(r.train, pooled),
        test: applyStandardizer(r.test, pooled),
      }));
      return { sites, features: table.features, subgroupNames: [] };
    }
    case 'synthetic': {
      const generated = syntheticConsortium({
        seed,
        sites: data.sites,
        ...(data.meanRows === undefined ? {} : { meanRows: data.meanRows }),
        ...(data.prevalence === undefined ? {} : { prevalence: data.prevalence }),
        ...(data.clinicalFeatures === undefined ? {} : { clinicalFeatures: data.clinicalFeatures }),
      });
      const sites = generated.sites.map((site) => {
        const { train, test } = standardize(site.train, site.test);
        return { name: site.name, train, test, testSubgroups: site.testSubgroups };
      });
      return { sites, features: sites[0]!.train.features, subgroupNames: generated.subgroupNames };
    }
    default:
      throw new InvalidArgumentError(
        'data.kind',
        `unknown data kind ${String((data as { kind: unknown }).kind)}`,
      );
  }
}
