// Entry of dist/vendor/mathjs-units.js, built by scripts/build.mjs with esbuild.
//
// Why a bundle: the palette converts engineering units with mathjs, but uses
// only its Unit type. The mathjs package installs 17.6 MB (three copies of
// the library: CommonJS, ES modules and a browser bundle, plus source maps)
// and 8 more packages into every Node-RED user dir; its `exports` map allows
// no deep import of the unit factories. mathjs's own documented way to take
// a part of it — create() with the *Dependencies of the functions needed —
// bundled here with its dependencies, is about 0.6 MB and the same code: the
// conversions are mathjs's, not rewritten. mathjs stays a devDependency pinned
// in package-lock.json; test/unit/units-bundle.test.ts checks the bundle
// against the full mathjs. Licences of the bundled packages:
// dist/vendor/mathjs-units.LICENSES.txt.
import { create, unitDependencies } from 'mathjs';

const { unit } = create({ unitDependencies });
export { unit };
