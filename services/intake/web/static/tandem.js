// Progressive enhancement only: every page works without JavaScript.
import { initAll } from './govuk-frontend.min.js'

initAll()

// The running count of "yes" answers on the DASH checklist pages.
for (const box of document.querySelectorAll('[data-dash-count]')) {
  const form = box.closest('form')
  const output = box.querySelector('[data-dash-count-value]')
  const elsewhere = Number(box.dataset.yesElsewhere || 0)
  const update = () => {
    const yes = form.querySelectorAll('.tandem-dash-question input[value="yes"]:checked').length
    output.textContent = String(elsewhere + yes)
  }
  form.addEventListener('change', update)
  update()
}

// The strangulation / threats-to-kill / stalking flags on the DASH pages, kept up to date as
// answers change (the server renders the same flags for each page without JavaScript).
for (const box of document.querySelectorAll('[data-dash-flags]')) {
  const form = box.closest('form')
  const items = box.querySelectorAll('[data-flag-question]')
  const none = box.querySelector('[data-dash-flags-none]')
  const update = () => {
    let any = false
    for (const item of items) {
      const question = item.dataset.flagQuestion
      const inputs = form.querySelectorAll(`input[name="${question}"]`)
      const checked = form.querySelector(`input[name="${question}"]:checked`)
      const raised = inputs.length
        ? Boolean(checked && checked.value === 'yes')
        : item.dataset.flagElsewhere === 'yes'
      item.hidden = !raised
      any = any || raised
    }
    if (none) none.hidden = any
  }
  form.addEventListener('change', update)
  update()
}

// A print button on the printable agenda (the browser's own print command works too).
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}
